"""Every payment notification or refund exchanged with the gateway, for audit and idempotency."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Model
from models.types import UTCDateTime
from utils.time import utcnow

if TYPE_CHECKING:
    from models.order import Order

GATEWAY_IZIPAY = "izipay"

KIND_NOTIFICATION = "notification"
KIND_REFUND = "refund"
KINDS = (KIND_NOTIFICATION, KIND_REFUND)

SOURCE_IPN = "ipn"
SOURCE_VERIFY = "verify"
SOURCE_REFUND = "refund"
SOURCES = (SOURCE_IPN, SOURCE_VERIFY, SOURCE_REFUND)


class PaymentTransaction(Model):
    __tablename__ = "payment_transactions"
    # A transaction reaching a given detailed status (AUTHORISED, CAPTURED, ...) is processed
    # once, whichever channel (IPN or browser return) reports it first.
    __table_args__ = (
        UniqueConstraint("transaction_uuid", "detailed_status", "kind"),
        # The payment success rate of the admin's stats: notifications by status and date.
        Index("ix_payment_transactions_kind_received_at_status", "kind", "received_at", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20), nullable=False, default=GATEWAY_IZIPAY)
    transaction_uuid: Mapped[str | None] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    # As sent by the gateway, kept even when no order matches it.
    order_number: Mapped[str | None] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default=KIND_NOTIFICATION)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    order_status: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(32))
    detailed_status: Mapped[str | None] = mapped_column(String(64))
    # Céntimos, as the gateway sends them.
    amount: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    mode: Mapped[str | None] = mapped_column(String(16))
    flagged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(255))
    raw_answer: Mapped[str | None] = mapped_column(
        Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    # Repeats of the same notification are acknowledged and counted, not stored again.
    times_received: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    last_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    processed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    order: Mapped[Order | None] = relationship(back_populates="payment_transactions")
