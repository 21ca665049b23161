"""Column types shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime stored as a naive UTC value.

    SQLite and MySQL keep no offset, so the convention is: everything in the
    database is UTC, and values come back aware. MySQL gets ``DATETIME(6)`` so
    microseconds survive.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def compare_column_types(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Alembic type comparison that knows MariaDB reports JSON columns as LONGTEXT."""
    if context.dialect.name in ("mysql", "mariadb") and isinstance(metadata_type, JSON):
        return inspected_type.__class__.__name__ not in ("JSON", "LONGTEXT")
    return None
