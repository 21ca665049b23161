"""Background jobs on Celery, in Flask's documented pattern: every app has a Celery app of
its own (`app.extensions["celery"]`) whose tasks run inside that app's context.

Jobs are declared with `@job(name)` in tasks.py and queued with `enqueue(name, ...)` from
inside a service's transaction: they are sent once it has committed and dropped if it
rolls back. Without CELERY_BROKER_URL (nor REDIS_URL) they run inline, in the process
that committed, so `make run` needs no broker. README, "Background jobs".
"""

import logging
import random
from collections.abc import Callable

from amqp.exceptions import ChannelError
from celery import Celery, Task
from celery.exceptions import Retry
from flask import Flask, current_app
from sqlalchemy.exc import InterfaceError, OperationalError

from utils.db import after_commit
from utils.metrics import JOBS
from utils.storage import StorageError

logger = logging.getLogger(__name__)

# Failures worth another try later: a mail server, file server, broker or database that is
# down or slow (smtplib's and socket errors are OSErrors). Anything else is a bug or bad
# data, which a retry would only repeat.
TRANSIENT_ERRORS = (OSError, StorageError, OperationalError, InterfaceError)
MAX_RETRY_DELAY_SECONDS = 3600

_declared: list[tuple[str, Callable, dict]] = []


def job(name: str, **options):
    """Declare `func` as the job `name` (registered on every app's Celery by `init_celery`)."""

    def declare(func: Callable) -> Callable:
        _declared.append((name, func, options))
        return func

    return declare


class AppTask(Task):
    """A job run in its Flask app's context: acknowledged only once it has finished (a worker
    that dies mid-job leaves it to another), retried with growing delays on transient
    failures, and counted by outcome in `jobs_total`."""

    flask_app: Flask
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, *args, **kwargs):
        with self.flask_app.app_context():
            try:
                result = self.run(*args, **kwargs)
            except Retry:
                raise
            except TRANSIENT_ERRORS as error:
                self._retry_later(error)  # raises Retry while attempts are left
                raise
            except Exception:
                self._failed()
                raise
        JOBS.labels(self.name, "succeeded").inc()
        return result

    def _retry_later(self, error: Exception) -> None:
        config = self.flask_app.config
        attempt = self.request.retries
        if self.request.is_eager or attempt >= config["JOB_MAX_RETRIES"]:
            self._failed()
            return
        delay = min(MAX_RETRY_DELAY_SECONDS, config["JOB_RETRY_BACKOFF_SECONDS"] * 2**attempt)
        # Jitter, so jobs failed by one outage do not all come back at the same second.
        delay = round(delay * random.uniform(0.75, 1.0))  # noqa: S311 - not a secret
        JOBS.labels(self.name, "retried").inc()
        logger.warning(
            "Job %s[%s] failed (%s: %s); retry %s in %s s",
            self.name, self.request.id, type(error).__name__, error, attempt + 1, delay,
        )  # fmt: skip
        raise self.retry(exc=error, countdown=delay, max_retries=config["JOB_MAX_RETRIES"])

    def _failed(self) -> None:
        JOBS.labels(self.name, "failed").inc()
        logger.exception("Job %s[%s] failed for good", self.name, self.request.id)


def init_celery(app: Flask) -> Celery:
    import tasks  # noqa: F401 - declares the jobs

    class BoundTask(AppTask):
        flask_app = app

    celery = Celery(app.import_name, task_cls=BoundTask)
    celery.config_from_object(celery_settings(app.config, tasks.BEAT_SCHEDULE))
    for name, func, options in _declared:
        celery.task(name=name, **options)(func)
    app.extensions["celery"] = celery
    if not celery.conf.task_always_eager:
        app.extensions["job_queue_depth"] = lambda: queue_depth(celery)
    return celery


def celery_settings(config, beat_schedule: dict) -> dict:
    broker = config.get("CELERY_BROKER_URL")
    return {
        "broker_url": broker or "memory://",
        # Results are not kept (jobs report through the database, logs and metrics); the
        # backend is set for the operator's own use of AsyncResult.
        "result_backend": _result_backend(broker),
        "task_ignore_result": True,
        "task_always_eager": not broker,
        "task_eager_propagates": False,
        "task_default_queue": queue_name(config),
        "task_serializer": "json",
        "accept_content": ["json"],
        "worker_prefetch_multiplier": 1,
        # The app's own logging (utils/logging_config.py) writes to the real stderr.
        "worker_redirect_stdouts": False,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 2,
        # A job held back with a countdown (an RSVP digest) stays unacknowledged on Redis;
        # it is handed to another worker only after this long without its worker.
        "broker_transport_options": {"visibility_timeout": 2 * MAX_RETRY_DELAY_SECONDS},
        # Queuing gives up within about a second and the job runs inline instead (`enqueue`).
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },  # fmt: skip
        "timezone": "America/Lima",
        "enable_utc": True,
        "beat_schedule": beat_schedule,
    }


def _result_backend(broker: str | None) -> str | None:
    if not broker:
        return None
    return broker if broker.startswith(("redis://", "rediss://")) else "rpc://"


def queue_name(config) -> str:
    # Apps sharing a broker (staging beside production, test runs) keep their jobs apart.
    return f"{config['REDIS_KEY_PREFIX']}-jobs"


def enqueue(name: str, *args, countdown: float | None = None) -> None:
    """Inside a service's transaction: send the job `name` once the transaction commits.

    If the broker cannot take it, the job runs here and now instead: slower for this
    request, but nothing is lost.
    """
    task = current_app.extensions["celery"].tasks[name]  # an unknown name fails now

    def send() -> None:
        try:
            task.apply_async(args, countdown=countdown)
        except Exception:
            logger.exception("Could not queue job %s; running it inline", name)
            JOBS.labels(name, "ran_inline").inc()
            task.apply(args)

    send.__name__ = f"enqueue_{name}"
    after_commit(send)


def queue_depth(celery: Celery) -> int | None:
    """Jobs waiting in the queue (not those a worker holds); None when the broker is
    unreachable or there is none."""
    if celery.conf.task_always_eager:
        return None
    try:
        with celery.connection_for_read() as connection:
            channel = connection.default_channel
            declared = channel.queue_declare(queue=celery.conf.task_default_queue, passive=True)
            return declared.message_count
    except ChannelError:
        return 0  # no queue yet: nothing was ever queued, and no worker declared it
    except Exception as error:  # the broker is down, or the queue not created yet
        logger.debug("Queue depth unknown: %s", error)
        return None
