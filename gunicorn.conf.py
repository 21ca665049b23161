"""Gunicorn settings for production (README, Operations), used as
`gunicorn -c gunicorn.conf.py -b 127.0.0.1:8000 'app:create_app()'`.

gunicorn's own lines (start, workers booting or dying) are written by the app's handler, in the
app's format (ISO 8601 UTC times, LOG_FORMAT text or json, secrets masked). gunicorn's access
log stays off: the app writes one access line per request with the route, status, duration,
request id and user.
"""

import os

from config import Config
from utils.logging_config import gunicorn_logconfig

workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
accesslog = None
logconfig_dict = gunicorn_logconfig(Config.LOG_FORMAT, Config.LOG_LEVEL)
