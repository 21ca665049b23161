"""The transaction boundary of a service function."""

import functools
import sqlite3
from contextvars import ContextVar

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from extensions import db

_depth: ContextVar[int] = ContextVar("transaction_depth", default=0)


def transactional(func):
    """Commit once when the outermost service call returns; roll everything back if it raises.

    Service functions calling each other share one transaction: only the outermost commits.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        token = _depth.set(_depth.get() + 1)
        try:
            result = func(*args, **kwargs)
            if _depth.get() == 1:
                db.session.commit()
            return result
        except BaseException:
            if _depth.get() == 1:
                db.session.rollback()
            raise
        finally:
            _depth.reset(token)

    return wrapper


def enable_sqlite_foreign_keys() -> None:
    """SQLite ignores ON DELETE rules unless each connection turns foreign keys on."""
    if not event.contains(Engine, "connect", _sqlite_foreign_keys):
        event.listen(Engine, "connect", _sqlite_foreign_keys)


def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def escape_like(text: str) -> str:
    """Make user text match literally inside a LIKE pattern (used with escape='\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def lock_one(model, *conditions):
    """The row matching `conditions`, locked until the transaction ends (SELECT ... FOR UPDATE),
    read afresh even if the session already holds an older copy; None when there is none."""
    query = select(model).where(*conditions).with_for_update()
    return db.session.scalar(query.execution_options(populate_existing=True))
