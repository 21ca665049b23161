"""Checks of the dependencies the service needs."""

import logging

import redis
from sqlalchemy import text

from extensions import db
from utils.redis_client import get_redis
from utils.storage import get_storage

logger = logging.getLogger(__name__)
SELECT_ONE = text("SELECT 1")


def check_health() -> dict:
    checks = {"database": _check_database(), "storage": _check_storage()}
    if get_redis() is not None:
        checks["redis"] = _check_redis()
    status = "ok" if all(value == "ok" for value in checks.values()) else "unavailable"
    return {"status": status, "checks": checks}


def _check_database() -> str:
    # A pooled connection of its own: the probe needs no ORM session (README, Benchmarks).
    try:
        with db.engine.connect() as connection:
            connection.execute(SELECT_ONE)
        return "ok"
    except Exception:
        logger.exception("Health check: database unreachable")
        return "error"


def _check_storage() -> str:
    try:
        get_storage().check()
        return "ok"
    except Exception:
        logger.exception("Health check: media storage unreachable")
        return "error"


def _check_redis() -> str:
    try:
        get_redis().ping()
        return "ok"
    except redis.RedisError:
        logger.exception("Health check: Redis unreachable")
        return "error"
