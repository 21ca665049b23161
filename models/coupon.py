"""Discount coupons, the plans they apply to and each use granted to an order."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from extensions import Model, db
from models.mixins import TimestampMixin
from models.types import UTCDateTime
from utils.time import utcnow

if TYPE_CHECKING:
    from models.order import Order
    from models.plan import Plan
    from models.user import User

DISCOUNT_PERCENTAGE = "percentage"
DISCOUNT_FIXED = "fixed"
DISCOUNT_TYPES = (DISCOUNT_PERCENTAGE, DISCOUNT_FIXED)

# No rows for a coupon means it applies to every plan.
coupon_plans = Table(
    "coupon_plans",
    db.metadata,
    Column(
        "coupon_id",
        Integer,
        ForeignKey("coupons.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "plan_id",
        Integer,
        ForeignKey("plans.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Coupon(TimestampMixin, Model):
    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored upper-case, so the unique index is case-insensitive on every backend.
    code: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(String(255))
    discount_type: Mapped[str] = mapped_column(String(16), nullable=False)
    discount_value: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    min_order_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    max_uses: Mapped[int | None] = mapped_column(Integer)
    max_uses_per_user: Mapped[int | None] = mapped_column(Integer)
    used_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)

    plans: Mapped[list[Plan]] = relationship(secondary=coupon_plans, order_by="Plan.id")
    usages: Mapped[list[CouponUsage]] = relationship(
        back_populates="coupon", order_by="CouponUsage.id"
    )
    orders: Mapped[list[Order]] = relationship(back_populates="coupon", passive_deletes=True)

    @validates("code")
    def _upper_code(self, _key: str, value: str) -> str:
        return value.strip().upper()

    @validates("discount_type")
    def _known_discount_type(self, _key: str, value: str) -> str:
        if value not in DISCOUNT_TYPES:
            raise ValueError(f"unknown discount type {value!r}")
        return value


class CouponUsage(Model):
    __tablename__ = "coupon_usages"
    # Serves the per-user limit check; its leading column also indexes coupon_id.
    __table_args__ = (Index("ix_coupon_usages_coupon_id_user_id", "coupon_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(
        ForeignKey("coupons.id", ondelete="RESTRICT"), nullable=False
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Unique: an order carries at most one coupon.
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    discount_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    coupon: Mapped[Coupon] = relationship(back_populates="usages")
    user: Mapped[User | None] = relationship()
    order: Mapped[Order] = relationship(back_populates="coupon_usage")
