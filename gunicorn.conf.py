"""Gunicorn settings for production (docs/operations.md, "Operations"), used as
`gunicorn -c gunicorn.conf.py -b 127.0.0.1:8000 'app:create_app()'` (or `make serve`).

Processes and threads come from the environment, so a host scales by its settings:
WEB_CONCURRENCY worker processes (default 4) with GUNICORN_THREADS threads each (default 1:
sync workers; more gives gthread workers). Workers are recycled after MAX_REQUESTS requests
(with jitter, so they do not all restart at once) to bound any slow leak.

gunicorn's own lines (start, workers booting or dying) are written by the app's handler, in the
app's format (ISO 8601 UTC times, LOG_FORMAT text or json, secrets masked). gunicorn's access
log stays off: the app writes one access line per request with the route, status, duration,
request id and user.

Prometheus in multiprocess mode (PROMETHEUS_MULTIPROC_DIR): the folder is emptied when the
master starts, so figures of an earlier run never add up with this one's, and a worker's
live gauges are dropped when it exits.
"""

import os
import shutil
from pathlib import Path

from config import Config
from utils.logging_config import gunicorn_logconfig


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


workers = _int("WEB_CONCURRENCY", 4)
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
# A request slower than this is killed (and logged by gunicorn); uploads and exports stream
# well inside it, and every call out ends well inside it too (FTP_DEADLINE_SECONDS,
# MAIL_TIMEOUT_SECONDS, IZIPAY_TIMEOUT_SECONDS, AFTER_COMMIT_DEADLINE_SECONDS:
# docs/operations.md, "Operations"): raise those with it, never past half of it.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
accesslog = None
logconfig_dict = gunicorn_logconfig(Config.LOG_FORMAT, Config.LOG_LEVEL)


def on_starting(_server) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(_server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
