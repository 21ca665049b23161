"""The transaction boundary of a service function, and what runs once it has committed."""

import functools
import logging
import sqlite3
from collections.abc import Callable
from contextlib import nullcontext
from contextvars import ContextVar
from typing import Any, cast

from flask import current_app, has_request_context
from sqlalchemy import ColumnElement, event, func, select
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.sql.base import Executable

from extensions import db
from utils.deadlines import deadline_within
from utils.metrics import AFTER_COMMIT_FAILURES

logger = logging.getLogger(__name__)

# The callbacks of the transaction in progress; None outside any @transactional call.
_pending_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "pending_after_commit", default=None
)


def execute_dml(statement: Executable) -> CursorResult[Any]:
    """Run an UPDATE or DELETE in the session's transaction; its result says how many rows."""
    # Session.execute is typed Result for every statement; an UPDATE/DELETE gives a CursorResult.
    return cast(CursorResult[Any], db.session.execute(statement))


def transactional(func):
    """Commit once when the outermost service call returns; roll everything back if it raises.

    Service functions calling each other share one transaction: only the outermost commits,
    and only then do the callbacks registered with `after_commit` run.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if _pending_after_commit.get() is not None:
            return func(*args, **kwargs)
        callbacks: list[Callable[[], None]] = []
        token = _pending_after_commit.set(callbacks)
        try:
            try:
                result = func(*args, **kwargs)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
        finally:
            _pending_after_commit.reset(token)
        _run_after_commit(callbacks)
        return result

    return wrapper


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction has committed; drop it on rollback.

    For effects that must not happen unless the data they describe is stored (mails, file
    deletions, cache invalidation). A failing callback is logged and counted; the commit
    stands, and so does the answer of the request that made it. Inside a request, calls out
    that honour deadlines (storage) get AFTER_COMMIT_DEADLINE_SECONDS for all the callbacks.
    """
    callbacks = _pending_after_commit.get()
    if callbacks is None:
        raise RuntimeError("after_commit() needs a transaction: call it inside @transactional")
    callbacks.append(callback)


def in_transaction() -> bool:
    """True inside a @transactional call."""
    return _pending_after_commit.get() is not None


def _run_after_commit(callbacks: list[Callable[[], None]]) -> None:
    if not callbacks:
        return
    with _after_commit_deadline():
        for callback in callbacks:
            try:
                callback()
            except Exception:
                name = getattr(callback, "__name__", "")
                AFTER_COMMIT_FAILURES.labels(name).inc()
                logger.exception("An after-commit step failed (%s)", name)


def _after_commit_deadline():
    if not has_request_context():
        return nullcontext()
    return deadline_within(current_app.config["AFTER_COMMIT_DEADLINE_SECONDS"])


def close_sessions_despite_lost_connections(app) -> None:
    """End each request's session even when its connection died with a transaction open.

    Flask-SQLAlchemy rolls the session back after the response is made; on a connection the
    database dropped meanwhile (a restart, a network cut) that rollback raises, outside every
    error handler, and the finished response becomes a bare 500. The lost connection is
    invalidated by then, so closing once more ends the session cleanly. Registered after
    `db.init_app`, so it runs before Flask-SQLAlchemy's own (now empty-handed) teardown.
    """

    @app.teardown_appcontext
    def close_session(_error) -> None:
        try:
            db.session.remove()
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            logger.error("The database connection was lost as a request ended: %s", error.orig)
            db.session.remove()


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


def text_search(q: str | None) -> Callable[[Any], ColumnElement[bool]] | None:
    """A list's `q` filter: None when `q` is blank; else a function turning a column into
    "contains `q`", case-insensitively and literally (`%` and `_` are not wildcards)."""
    if not q or not q.strip():
        return None
    pattern = f"%{escape_like(q.strip().lower())}%"
    return lambda column: func.lower(column).like(pattern, escape="\\")


def lock_one(model, *conditions):
    """The row matching `conditions`, locked until the transaction ends (SELECT ... FOR UPDATE),
    read afresh even if the session already holds an older copy; None when there is none."""
    query = select(model).where(*conditions).with_for_update()
    return db.session.scalar(query.execution_options(populate_existing=True))


# MySQL/MariaDB errors that end a transaction and ask for it to be run again: a deadlock
# victim (1213, "try restarting transaction") and a lock wait timeout (1205).
RESTARTABLE_MYSQL_ERRORS = frozenset({1205, 1213})


def asks_for_restart(error: Exception) -> bool:
    """True when the database ended the transaction and running it again may succeed."""
    args: tuple[object, ...] = getattr(getattr(error, "orig", None), "args", ())
    return bool(args) and args[0] in RESTARTABLE_MYSQL_ERRORS


def restarted_on_deadlock(attempts: int = 3, *, collisions: int = 0):
    """Run a @transactional function again when MariaDB ended its transaction as a deadlock
    victim or on a lock wait timeout (`asks_for_restart`), up to `attempts` times in all;
    and up to `collisions` more times on an IntegrityError, for functions that draw a random
    unique value another transaction may have taken meanwhile.

    Put it above @transactional; inside an outer transaction it does nothing (the outer one
    is what would have to be restarted).
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            restarts = collided = 0
            while True:
                try:
                    return func(*args, **kwargs)
                except IntegrityError:
                    collided += 1
                    if collided > collisions or in_transaction():
                        raise
                    logger.info("Restarting %s after a unique value was taken", func.__name__)
                except OperationalError as error:
                    restarts += 1
                    if restarts >= attempts or in_transaction() or not asks_for_restart(error):
                        raise
                    logger.info("Restarting %s after %s", func.__name__, error.orig)

        return wrapper

    return decorate
