"""The admin's figures (docs/admin.md, "Stats"): three aggregate statements whatever the data.

Dates are Lima days: `date_from`/`date_to` bound what was created (orders, users, answers,
claims), paid (revenue) or notified (payment success) on those days, and revenue is grouped
by Lima month. Peru has kept UTC-5 all year since 1994, so a Lima month is the UTC time
shifted five hours.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, literal_column, select

from extensions import db
from models.claim import STATUS_ANSWERED, Claim
from models.invitation import Invitation
from models.invitation_response import InvitationResponse
from models.order import HELD_PAYMENT_STATUSES, ORDER_STATUSES, Order
from models.payment_transaction import KIND_NOTIFICATION, PaymentTransaction
from models.user import User
from services.exceptions import ValidationError
from utils.money import ZERO, format_money
from utils.time import lima_date, lima_day_end, lima_day_start

PAID = "PAID"
LIMA_OFFSET_HOURS = 5


def admin_stats(*, date_from: date | None = None, date_to: date | None = None) -> dict:
    if date_from and date_to and date_from > date_to:
        raise ValidationError(details={"date_to": ["Must be on or after date_from."]})
    start = lima_day_start(date_from) if date_from else None
    end = lima_day_end(date_to) if date_to else None
    today = lima_date()

    def within(column):
        conditions = []
        if start is not None:
            conditions.append(column >= start)
        if end is not None:
            conditions.append(column < end)
        return conditions

    counts = db.session.execute(
        select(
            _count(User, User.deleted_at.is_(None), *within(User.created_at)).label("users"),
            _count(
                Invitation, Invitation.is_published.is_(True), Invitation.deleted_at.is_(None)
            ).label("published"),
            _count(InvitationResponse, *within(InvitationResponse.created_at)).label("rsvps"),
            _count(Claim, Claim.status != STATUS_ANSWERED, *within(Claim.created_at)).label(
                "claims_pending"
            ),
            _count(
                Claim,
                Claim.status != STATUS_ANSWERED,
                Claim.response_due_date < today,
                *within(Claim.created_at),
            ).label("claims_overdue"),
            _count(
                PaymentTransaction,
                PaymentTransaction.kind == KIND_NOTIFICATION,
                *within(PaymentTransaction.received_at),
            ).label("notifications"),
            _count(
                PaymentTransaction,
                PaymentTransaction.kind == KIND_NOTIFICATION,
                PaymentTransaction.order_status == PAID,
                *within(PaymentTransaction.received_at),
            ).label("notifications_paid"),
        )
    ).one()

    by_status = dict(
        db.session.execute(
            select(Order.status, func.count())
            .where(*within(Order.created_at))
            .group_by(Order.status)
        )
        .tuples()
        .all()
    )
    month = _lima_month(Order.paid_at)
    revenue_rows = db.session.execute(
        select(month.label("month"), func.sum(Order.total))
        .where(Order.status.in_(sorted(HELD_PAYMENT_STATUSES)), *within(Order.paid_at))
        .group_by(month)
        .order_by(month)
    ).all()

    revenue_by_month = [
        {"month": row[0], "total": format_money(Decimal(row[1] or 0))} for row in revenue_rows
    ]
    revenue_total = sum((Decimal(row[1] or 0) for row in revenue_rows), ZERO)
    rate = (
        round(counts.notifications_paid / counts.notifications, 4) if counts.notifications else None
    )
    return {
        "users_total": counts.users,
        "orders_by_status": {status: by_status.get(status, 0) for status in ORDER_STATUSES},
        "revenue_total": format_money(revenue_total),
        "revenue_by_month": revenue_by_month,
        "payment_success_rate": rate,
        "payment_notifications": counts.notifications,
        "invitations_published": counts.published,
        "rsvps_total": counts.rsvps,
        "claims_pending": counts.claims_pending,
        "claims_overdue": counts.claims_overdue,
        "date_from": date_from,
        "date_to": date_to,
    }


def _count(model, *conditions):
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


def _lima_month(column):
    """`YYYY-MM` of a UTC datetime column, in Lima time."""
    if db.engine.dialect.name == "sqlite":
        return func.strftime("%Y-%m", column, f"-{LIMA_OFFSET_HOURS} hours")
    return func.date_format(
        func.date_sub(column, literal_column(f"INTERVAL {LIMA_OFFSET_HOURS} HOUR")), "%Y-%m"
    )
