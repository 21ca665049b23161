"""Background jobs on a real Celery worker (celery's testing worker, in a thread) with Redis as
the broker, mailing the test SMTP server."""

import time

import pytest
from celery.contrib.testing.worker import start_worker


def wait_for(condition, timeout=15.0, what="the job"):
    """Call `condition` until it returns something true (returned); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")


@pytest.fixture
def worker_app(new_app, redis_url, redis_prefix, smtp_server, media_root):
    """An app whose jobs go through Redis to a worker thread, mailing the test SMTP server."""

    def build(**overrides):
        settings = {
            "CELERY_BROKER_URL": redis_url,
            "REDIS_KEY_PREFIX": redis_prefix,
            "MEDIA_ROOT": str(media_root),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "MAIL_USE_TLS": False,
        }
        return new_app(**{**settings, **overrides})

    return build


@pytest.fixture
def worker():
    """`with worker(app):` runs a Celery worker thread consuming the app's queue."""

    def run(app):
        # One job at a time (solo pool), so a later job finishing proves earlier ones ran.
        return start_worker(
            app.extensions["celery"], pool="solo", perform_ping_check=False, loglevel="WARNING"
        )

    return run
