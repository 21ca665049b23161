"""Background jobs on Celery, in Flask's documented pattern: every app has a Celery app of
its own (`app.extensions["celery"]`) whose tasks run inside that app's context.

Jobs are declared with `@job(name)` in tasks.py and queued with `enqueue(name, ...)` from
inside a service's transaction, through an outbox: the job is a row (`job_outbox`) written in
that transaction, so it is dropped if it rolls back and kept if it commits, whatever the
broker does. Once committed, the process hands it to the broker, giving up within about a
second; what is left is handed over later by `relay_jobs` (beat, or cron), at least once:
every job is safe to run twice. Without CELERY_BROKER_URL (nor REDIS_URL) jobs run inline,
after commit, in the process that committed, so `make run` needs no broker. docs/operations.md,
"Background jobs".
"""

import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from amqp.exceptions import ChannelError
from celery import Celery, Task
from celery.exceptions import Reject, Retry
from flask import Flask, current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import InterfaceError, OperationalError

from extensions import db
from models.job_outbox import OutboxJob
from utils.db import after_commit, execute_dml, in_transaction, transactional
from utils.metrics import JOBS
from utils.storage import StorageError
from utils.time import utcnow

logger = logging.getLogger(__name__)

# Failures worth another try later: a mail server, file server, broker or database that is
# down or slow (smtplib's and socket errors are OSErrors). Anything else is a bug or bad
# data, which a retry would only repeat.
TRANSIENT_ERRORS = (OSError, StorageError, OperationalError, InterfaceError)
MAX_RETRY_DELAY_SECONDS = 3600
# Outbox rows one relay run hands over at most (the next run takes the rest).
RELAY_BATCH = 500
# An outbox row still there after this long names a job no release declares any more.
OUTBOX_KEPT = timedelta(days=7)

# What became of an outbox row `_hand_over` was given.
HANDED = "handed"  # the broker has the job (or it ran here, without a broker)
TAKEN = "taken"  # another process had handed it over already
LEFT = "left"  # the broker or the database failed: the row stays for the relay

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
        try:
            raise self.retry(exc=error, countdown=delay, max_retries=config["JOB_MAX_RETRIES"])
        except Reject:
            # The broker cannot take the retry (Celery would drop the job): the outbox keeps
            # it for the relay, due as the retry would have been.
            keep_for_relay(self.name, self.request.args, delay)
            raise Retry(exc=error, when=delay) from None

    def _failed(self) -> None:
        JOBS.labels(self.name, "failed").inc()
        logger.exception("Job %s[%s] failed for good", self.name, self.request.id)


class AppCelery(Celery):
    """Celery whose connections for sending (jobs, retries, beat, queue depth) give up on a
    frozen Redis broker within `send_timeout` per call instead of waiting for ever: a
    request waits on them. The worker's consuming connection keeps Celery's defaults: an
    acknowledgement failed by a timeout there would leave the worker consuming nothing."""

    def __init__(self, *args, send_timeout: float, **kwargs):
        self.send_timeout = send_timeout
        super().__init__(*args, **kwargs)

    def connection_for_write(self, url=None, **kwargs):
        prompt = {
            "socket_timeout": self.send_timeout,
            "socket_connect_timeout": self.send_timeout,
            # One connection attempt per call, not attempts one after another for 2 s.
            "max_retries": 0,
        }
        options = {**prompt, **(kwargs.pop("transport_options", None) or {})}
        return super().connection_for_write(url, transport_options=options, **kwargs)


def init_celery(app: Flask) -> Celery:
    import tasks  # noqa: F401 - declares the jobs

    class BoundTask(AppTask):
        flask_app = app

    celery = AppCelery(
        app.import_name, task_cls=BoundTask, send_timeout=app.config["JOB_BROKER_TIMEOUT_SECONDS"]
    )
    celery.config_from_object(celery_settings(app.config, tasks.BEAT_SCHEDULE))
    for name, function, options in _declared:
        celery.task(name=name, **options)(function)
    app.extensions["celery"] = celery
    app.extensions["job_broker_pause"] = BrokerPause(app.config["JOB_BROKER_PAUSE_SECONDS"])
    if not celery.conf.task_always_eager:
        app.extensions["job_queue_depth"] = lambda: queue_depth(celery)
        app.extensions["job_outbox_backlog"] = outbox_backlog
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
        # For beat and a job's retries; `enqueue` and the relay publish without retries and
        # leave in the outbox what the broker did not take.
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
    """Inside a service's transaction: have the job `name` run once the transaction commits,
    `countdown` seconds later.

    The job is written to the outbox in this transaction. Once it has committed, this process
    hands it to the broker, waiting about a second at most; if the broker cannot take it,
    the row stays for `relay_jobs` and the request goes on. Nothing is lost either way.
    """
    celery = current_app.extensions["celery"]
    task = celery.tasks[name]  # an unknown name fails now
    if not in_transaction():
        raise RuntimeError("enqueue() needs a transaction: call it inside @transactional")
    now = utcnow()
    due_at = now + timedelta(seconds=countdown or 0)
    row = OutboxJob(name=name, args=list(args), due_at=due_at, created_at=now)
    db.session.add(row)
    db.session.flush()
    job_id = row.id
    pause = current_app.extensions["job_broker_pause"]

    def hand_over() -> None:
        # Right after a broker failure this process does not ask again: the relay will.
        paused = pause.active() and not celery.conf.task_always_eager
        if paused or _hand_over(task, job_id, args, due_at) == LEFT:
            JOBS.labels(name, "deferred").inc()

    hand_over.__name__ = f"enqueue_{name}"
    after_commit(hand_over)


def keep_for_relay(name: str, args, countdown: float) -> None:
    """Put the job `name` in the outbox, due in `countdown` seconds, for the relay alone."""
    db.session.rollback()  # the job's own transaction may have failed
    _add_to_outbox(name, args, countdown)


@transactional
def _add_to_outbox(name: str, args, countdown: float) -> None:
    due_at = utcnow() + timedelta(seconds=countdown)
    db.session.add(OutboxJob(name=name, args=list(args), due_at=due_at))


def relay_jobs() -> int:
    """Hand to the broker the jobs left in the outbox (their process found the broker down,
    or died after its commit), oldest first; returns how many. Stops at the first one the
    broker does not take. Without a broker, runs them here."""
    celery = current_app.extensions["celery"]
    rows = db.session.execute(
        select(OutboxJob.id, OutboxJob.name, OutboxJob.args, OutboxJob.due_at)
        .order_by(OutboxJob.id)
        .limit(RELAY_BATCH)
    ).all()
    db.session.rollback()
    relayed = 0
    for job_id, name, args, due_at in rows:
        task = celery.tasks.get(name)
        if task is None:
            logger.error("Outbox job %s names an unknown job %r; left for the purge", job_id, name)
            continue
        outcome = _hand_over(task, job_id, args, due_at)
        if outcome == LEFT:
            logger.warning("The broker takes no jobs; %s left in the outbox", len(rows) - relayed)
            break
        if outcome == HANDED:
            JOBS.labels(name, "relayed").inc()
            relayed += 1
    else:
        if relayed:  # the broker is back
            current_app.extensions["job_broker_pause"].end()
    return relayed


def _hand_over(task: Task, job_id: int, args, due_at: datetime) -> str:
    """Take the outbox row `job_id` and give its job to the broker, in one transaction: the
    row goes once the broker has the job, and stays if the broker or the database failed.
    Without a broker, the job runs here once the row is gone. Returns HANDED, TAKEN or LEFT.

    Deleting the row first locks it, so two processes relaying it at once send it once; a
    commit lost after the broker took the job sends it twice, which every job tolerates.
    """
    inline = task.app.conf.task_always_eager
    try:
        taken = execute_dml(delete(OutboxJob).where(OutboxJob.id == job_id)).rowcount
        if not taken:
            db.session.rollback()
            return TAKEN
        if inline:
            db.session.commit()
    except Exception as error:
        _rollback_quietly()
        logger.warning("Job %s[%s] left in the outbox: %s", task.name, job_id, error)
        return LEFT
    if inline:
        task.apply(args)  # logs and counts its own failure
        return HANDED
    try:
        task.apply_async(args, countdown=_seconds_until(due_at), retry=False)
    except Exception as error:
        _rollback_quietly()
        current_app.extensions["job_broker_pause"].start()
        logger.warning(
            "Job %s[%s] left in the outbox, the broker failed: %s", task.name, job_id, error
        )
        return LEFT
    try:
        db.session.commit()
    except Exception as error:
        _rollback_quietly()
        logger.warning(
            "Job %s[%s] sent, its outbox row kept (it may run twice): %s", task.name, job_id, error
        )
    return HANDED


def _seconds_until(moment: datetime) -> float | None:
    seconds = (moment - utcnow()).total_seconds()
    return seconds if seconds > 0 else None


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception as error:  # the connection is gone: the session is reset regardless
        logger.warning("Rollback failed: %s", error)


class BrokerPause:
    """A process that just failed to reach the broker stops asking it for `seconds`: its jobs
    go to the outbox at once, so a frozen broker costs one request about a second, not each.
    A relay run that hands everything over ends the pause early."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._until = 0.0

    def active(self) -> bool:
        return time.monotonic() < self._until

    def start(self) -> None:
        self._until = time.monotonic() + self.seconds

    def end(self) -> None:
        self._until = 0.0


def outbox_backlog() -> int | None:
    """Jobs in the outbox, waiting for the broker; None when the database cannot say."""
    try:
        return db.session.scalar(select(func.count()).select_from(OutboxJob))
    except Exception as error:
        logger.debug("Outbox backlog unknown: %s", error)
        _rollback_quietly()
        return None


@transactional
def purge_outbox() -> int:
    """Delete outbox rows older than a week: jobs no release declares any more (the relay
    hands every other one over as soon as the broker is up)."""
    stale = OutboxJob.created_at < utcnow() - OUTBOX_KEPT
    purged = execute_dml(delete(OutboxJob).where(stale)).rowcount
    if purged:
        logger.warning("Deleted %s outbox jobs that could not be relayed for a week", purged)
    return purged


def queue_depth(celery: Celery) -> int | None:
    """Jobs waiting in the queue (not those a worker holds); None when the broker is
    unreachable or there is none."""
    if celery.conf.task_always_eager:
        return None
    try:
        with celery.connection_for_write() as connection:
            channel = connection.default_channel
            declared = channel.queue_declare(queue=celery.conf.task_default_queue, passive=True)
            return declared.message_count
    except ChannelError:
        return 0  # no queue yet: nothing was ever queued, and no worker declared it
    except Exception as error:  # the broker is down, or the queue not created yet
        logger.debug("Queue depth unknown: %s", error)
        return None
