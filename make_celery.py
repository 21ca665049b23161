"""The Celery entry point of `make worker` and `make beat`: `celery -A make_celery ...`.

The worker runs one process with a pool of threads (`--pool threads`): the jobs wait on
mail, file and database servers, and one process keeps its Prometheus counters in one place,
served on WORKER_METRICS_PORT.
"""

from celery.signals import setup_logging, worker_ready
from prometheus_client import REGISTRY, start_http_server

from app import create_app
from utils.jobs import outbox_backlog, queue_depth
from utils.metrics import QueueDepthCollector

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
if celery_app.conf.task_always_eager:
    raise SystemExit(
        "No broker: set CELERY_BROKER_URL (or REDIS_URL). Without one, jobs run inline in the "
        "web process and need no worker or beat."
    )


def in_app_context(read):
    """`read` called in the Flask app's context (the metrics server's thread has none)."""

    def call():
        with flask_app.app_context():
            return read()

    return call


@setup_logging.connect
def keep_the_apps_logging(**_):
    """Celery leaves logging alone: create_app configured it (LOG_LEVEL, LOG_FORMAT, redaction)."""


@worker_ready.connect
def serve_worker_metrics(**_):
    port = flask_app.config["WORKER_METRICS_PORT"]
    if port:
        REGISTRY.register(
            QueueDepthCollector(lambda: queue_depth(celery_app), in_app_context(outbox_backlog))
        )
        start_http_server(port, addr="127.0.0.1")  # for a local Prometheus or agent
