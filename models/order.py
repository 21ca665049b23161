"""Orders, their priced lines and the audit trail of their status changes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from extensions import Model
from models.mixins import TimestampMixin
from models.types import UTCDateTime
from utils.time import utcnow

if TYPE_CHECKING:
    from models.claim import Claim
    from models.coupon import Coupon, CouponUsage
    from models.invitation import Invitation
    from models.payment_transaction import PaymentTransaction
    from models.plan import Plan
    from models.template import Template
    from models.user import User

STATUS_PENDING = "pending"
STATUS_PAID = "paid"
STATUS_CANCELLED = "cancelled"
STATUS_EXPIRED = "expired"
STATUS_REFUNDED = "refunded"
# Claimed by one refund while the gateway is asked (docs/spa-integration.md, "Refunds").
STATUS_REFUNDING = "refunding"
ORDER_STATUSES = (
    STATUS_PENDING,
    STATUS_PAID,
    STATUS_CANCELLED,
    STATUS_EXPIRED,
    STATUS_REFUNDING,
    STATUS_REFUNDED,
)
# The money is held: a refund being asked of the gateway has not given it back yet.
HELD_PAYMENT_STATUSES = frozenset({STATUS_PAID, STATUS_REFUNDING})

PAYMENT_UNPAID = "unpaid"
PAYMENT_PAID = "paid"
PAYMENT_REFUNDED = "refunded"
PAYMENT_STATUSES = (PAYMENT_UNPAID, PAYMENT_PAID, PAYMENT_REFUNDED)

CURRENCY = "PEN"


def normalize_order_number(value: str) -> str:
    """An order number as stored (`ORD-20261128-7KQ2M9`): what a person types, trimmed and
    upper-cased, finds its order."""
    return value.strip().upper()


class Order(TimestampMixin, Model):
    __tablename__ = "orders"
    # The composites also index user_id and status through their leading column.
    __table_args__ = (
        Index("ix_orders_user_id_created_at", "user_id", "created_at"),
        Index("ix_orders_status_created_at", "status", "created_at"),
        Index("ix_orders_created_at", "created_at"),
        # Revenue in the admin's stats: paid orders by payment date, totals read off the index.
        Index("ix_orders_status_paid_at_total", "status", "paid_at", "total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=False
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=STATUS_PENDING)
    payment_status: Mapped[str] = mapped_column(String(16), nullable=False, default=PAYMENT_UNPAID)
    subtotal: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    discount_total: Mapped[Decimal] = mapped_column(
        Numeric(10, 2), nullable=False, default=Decimal("0.00")
    )
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default=CURRENCY)
    coupon_id: Mapped[int | None] = mapped_column(
        ForeignKey("coupons.id", ondelete="SET NULL"), index=True
    )
    # The code as applied, kept when the coupon is later edited or deleted.
    coupon_code: Mapped[str | None] = mapped_column(String(50))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="orders")
    coupon: Mapped[Coupon | None] = relationship(back_populates="orders")
    coupon_usage: Mapped[CouponUsage | None] = relationship(
        back_populates="order", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OrderItem.id",
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OrderEvent.id",
    )
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="order", passive_deletes=True, order_by="Invitation.id"
    )
    payment_transactions: Mapped[list[PaymentTransaction]] = relationship(
        back_populates="order", passive_deletes=True, order_by="PaymentTransaction.id"
    )
    claims: Mapped[list[Claim]] = relationship(back_populates="order", passive_deletes=True)

    @validates("status")
    def _known_status(self, _key: str, value: str) -> str:
        if value not in ORDER_STATUSES:
            raise ValueError(f"unknown order status {value!r}")
        return value

    @validates("payment_status")
    def _known_payment_status(self, _key: str, value: str) -> str:
        if value not in PAYMENT_STATUSES:
            raise ValueError(f"unknown payment status {value!r}")
        return value


class OrderItem(Model):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plans.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    template_id: Mapped[int] = mapped_column(
        ForeignKey("templates.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    # An existing draft being paid for; otherwise invitations are created on payment.
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL"), index=True
    )
    plan_name: Mapped[str] = mapped_column(String(100), nullable=False)
    template_name: Mapped[str] = mapped_column(String(120), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    line_total: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)

    order: Mapped[Order] = relationship(back_populates="items")
    plan: Mapped[Plan] = relationship()
    template: Mapped[Template] = relationship()
    invitation: Mapped[Invitation | None] = relationship(back_populates="order_items")


class OrderEvent(Model):
    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(255))
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    order: Mapped[Order] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
