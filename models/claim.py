"""Libro de Reclamaciones: consumer complaints and claims, and the seller's answer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from extensions import Model
from models.mixins import TimestampMixin
from models.types import UTCDateTime

if TYPE_CHECKING:
    from models.order import Order
    from models.user import User

CLAIM_TYPES = ("reclamo", "queja")
DOCUMENT_TYPES = ("DNI", "CE", "PASAPORTE", "RUC")
ITEM_TYPES = ("producto", "servicio")

STATUS_PENDING = "pending"
STATUS_IN_REVIEW = "in_review"
STATUS_ANSWERED = "answered"
CLAIM_STATUSES = (STATUS_PENDING, STATUS_IN_REVIEW, STATUS_ANSWERED)

_ALLOWED = {
    "claim_type": CLAIM_TYPES,
    "document_type": DOCUMENT_TYPES,
    "item_type": ITEM_TYPES,
    "status": CLAIM_STATUSES,
}


class Claim(TimestampMixin, Model):
    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Yearly correlative, e.g. LR-2026-000001.
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    claim_type: Mapped[str] = mapped_column(String(10), nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    document_type: Mapped[str] = mapped_column(String(10), nullable=False)
    document_number: Mapped[str] = mapped_column(String(20), nullable=False)
    address: Mapped[str] = mapped_column(String(300), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(30))
    # Stored lower-case: the filer's look-up matches on it.
    email: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    is_minor: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    guardian_name: Mapped[str | None] = mapped_column(String(200))
    item_type: Mapped[str] = mapped_column(String(10), nullable=False)
    item_description: Mapped[str] = mapped_column(String(500), nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    detail: Mapped[str] = mapped_column(Text, nullable=False)
    consumer_request: Mapped[str] = mapped_column(Text, nullable=False)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=STATUS_PENDING, index=True
    )
    response: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    response_due_date: Mapped[date] = mapped_column(Date, nullable=False)

    order: Mapped[Order | None] = relationship(back_populates="claims")
    user: Mapped[User | None] = relationship()

    @validates("email")
    def _lower_email(self, _key: str, value: str) -> str:
        return value.strip().lower()

    @validates("claim_type", "document_type", "item_type", "status")
    def _known_value(self, key: str, value: str) -> str:
        if value not in _ALLOWED[key]:
            raise ValueError(f"unknown {key} {value!r}")
        return value
