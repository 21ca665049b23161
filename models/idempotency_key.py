"""Idempotency keys: the first answer to a request, replayed when a client sends it again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from extensions import Model
from models.types import UTCDateTime
from utils.time import utcnow


class IdempotencyKey(Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose key it is: `user:<id>` for checkout, `rsvp:<code>` for an RSVP.
    scope: Mapped[str] = mapped_column(String(100), nullable=False)
    # Compared byte for byte: MySQL's default collation would make "Ab" and "ab" one key.
    key: Mapped[str] = mapped_column(
        String(255).with_variant(
            mysql.VARCHAR(255, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        ),
        nullable=False,
    )
    # SHA-256 of the request body, so the same key with another body is refused.
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # Null while the first request is still running.
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(
        Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, nullable=False, index=True
    )
