"""Checks of the dependencies the service needs."""

import logging

from sqlalchemy import text

from extensions import db

logger = logging.getLogger(__name__)


def check_health() -> dict:
    checks = {"database": _check_database()}
    status = "ok" if all(value == "ok" for value in checks.values()) else "unavailable"
    return {"status": status, "checks": checks}


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        logger.exception("Health check: database unreachable")
        db.session.rollback()
        return "error"
