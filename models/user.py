"""Accounts: customers and admins."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from extensions import Model
from models.mixins import TimestampMixin
from models.types import UTCDateTime
from utils.emails import normalize_email

if TYPE_CHECKING:
    from models.invitation import Invitation
    from models.order import Order

ROLE_ADMIN = "admin"
ROLE_USER = "user"
ROLES = (ROLE_ADMIN, ROLE_USER)

# Compared exactly: MySQL's default utf8mb4_unicode_ci would make `jóse@x.pe` equal
# `jose@x.pe` (one account, one rate-limit bucket). SQLite compares bytes already.
EMAIL_TYPE = String(255).with_variant(
    mysql.VARCHAR(255, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)


class User(TimestampMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (utils/emails.py), so the exact unique index ignores only case.
    email: Mapped[str] = mapped_column(EMAIL_TYPE, unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default=ROLE_USER, index=True)
    first_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    last_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    phone: Mapped[str | None] = mapped_column(String(30))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on a password change or reset and when the account is disabled: tokens carrying
    # an older value are refused.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    invitations: Mapped[list[Invitation]] = relationship(back_populates="user")
    orders: Mapped[list[Order]] = relationship(back_populates="user")

    @validates("email")
    def _normalize_email(self, _key: str, value: str) -> str:
        return normalize_email(value)

    @validates("role")
    def _known_role(self, _key: str, value: str) -> str:
        if value not in ROLES:
            raise ValueError(f"unknown role {value!r}")
        return value

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN
