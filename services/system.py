"""Checks of the dependencies the service needs, answered within HEALTH_TIMEOUT_SECONDS.

Each check runs on a thread of its own, at most one at a time per dependency and process: a
check still running when /health is asked again (a hung server) is waited for, not started
twice. /health waits HEALTH_TIMEOUT_SECONDS at most and reports a check not over by then as
"timeout"; nothing is cached, so every answer is as fresh as the servers allow (docs/operations.md,
"Operations").
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait

import redis
from flask import Flask, current_app
from sqlalchemy import text

from extensions import db
from utils.redis_client import get_redis
from utils.storage import get_storage

logger = logging.getLogger(__name__)
SELECT_ONE = text("SELECT 1")
OK, ERROR, TIMEOUT = "ok", "error", "timeout"


def check_health() -> dict:
    checks: dict[str, Callable[[], str]] = {
        "database": _check_database,
        "storage": _check_storage,
    }
    client = get_redis()
    if client is not None:
        checks["redis"] = lambda: _check_redis(client)
    # current_app is a proxy typed as the Flask class; the probe threads need the app itself.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    results = _prober(app).run(checks, app.config["HEALTH_TIMEOUT_SECONDS"])
    status = "ok" if all(value == OK for value in results.values()) else "unavailable"
    return {"status": status, "checks": results}


class _Prober:
    """Runs an app's checks on daemon threads (a hung one never keeps a worker from exiting),
    one at a time per check."""

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._running: dict[str, Future] = {}

    def run(self, checks: dict[str, Callable[[], str]], timeout: float) -> dict[str, str]:
        with self._lock:
            futures = {name: self._started(name, check) for name, check in checks.items()}
        done, _late = wait(futures.values(), timeout=timeout)
        return {
            name: future.result() if future in done else TIMEOUT for name, future in futures.items()
        }

    def _started(self, name: str, check: Callable[[], str]) -> Future:
        future = self._running.get(name)
        if future is None or future.done():
            future = Future()
            self._running[name] = future
            thread = threading.Thread(
                target=self._probe, args=(check, future), name=f"health-{name}", daemon=True
            )
            thread.start()
        return future

    def _probe(self, check: Callable[[], str], future: Future) -> None:
        try:
            with self.app.app_context():
                result = check()
        except Exception:
            logger.exception("Health check failed")
            result = ERROR
        future.set_result(result)


_probers_lock = threading.Lock()


def _prober(app: Flask) -> _Prober:
    with _probers_lock:
        if "health_prober" not in app.extensions:
            app.extensions["health_prober"] = _Prober(app)
        return app.extensions["health_prober"]


def _check_database() -> str:
    # A pooled connection of its own: the probe needs no ORM session (docs/benchmarks.md,
    # "Benchmarks").
    try:
        with db.engine.connect() as connection:
            connection.execute(SELECT_ONE)
        return OK
    except Exception:
        logger.exception("Health check: database unreachable")
        return ERROR


def _check_storage() -> str:
    try:
        get_storage().check()
        return OK
    except Exception:
        logger.exception("Health check: media storage unreachable")
        return ERROR


def _check_redis(client: redis.Redis) -> str:
    try:
        client.ping()
        return OK
    except redis.RedisError:
        logger.exception("Health check: Redis unreachable")
        return ERROR
