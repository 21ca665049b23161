"""Customers' testimonials: written by a paying customer, shown once an admin approves them.

Submitting: the caller needs an order whose payment is held (`paid`, or `refunding` while the
gateway has not given the money back; `refunded`, `cancelled`, `expired` and `pending` orders
do not count), and may have one testimonial awaiting approval at a time. That limit holds
under concurrent submits of one user: the user's row is locked first (MariaDB; SQLite
ignores FOR UPDATE), the new row is inserted (on SQLite this takes the single write lock,
so a second submit waits here), and only then are the user's pending testimonials counted
with a locking read, which sees every commit (a plain read on MariaDB would see the snapshot
taken when the request read its token). Inserting before that read means no transaction
inserts after taking gap locks on `testimonials`, so submits of different users cannot
deadlock.
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models.order import HELD_PAYMENT_STATUSES, Order
from models.testimonial import Testimonial
from models.user import User
from services import audit
from services.exceptions import ConflictError, ForbiddenError, NotFoundError, ValidationError
from utils.db import lock_one, transactional
from utils.pagination import Page, paginate

STATUS_PENDING = "pending"
STATUS_APPROVED = "approved"
MODERATION_STATUSES = (STATUS_PENDING, STATUS_APPROVED)
# Shown when a customer left no name of their own and their account has none either.
ANONYMOUS_AUTHOR = "Cliente"


class TestimonialNotFoundError(NotFoundError):
    message = "Testimonial not found."


class TestimonialNeedsPaidOrderError(ForbiddenError):
    message = "Only customers with a paid order can leave a testimonial."


class TestimonialPendingError(ConflictError):
    message = "You already have a testimonial awaiting approval; wait until it is reviewed."


def list_approved_testimonials(*, page: int, per_page: int) -> Page:
    """Approved testimonials: featured first, then by display order, then newest."""
    query = (
        select(Testimonial)
        .where(Testimonial.is_approved.is_(True))
        .order_by(
            Testimonial.is_featured.desc(),
            Testimonial.display_order,
            Testimonial.created_at.desc(),
            Testimonial.id.desc(),
        )
    )
    return paginate(query, page, per_page)


@transactional
def submit_testimonial(user: User, data: dict) -> Testimonial:
    """Store the customer's testimonial, awaiting approval."""
    lock_one(User, User.id == user.id)
    if not _has_paid_order(user.id):
        raise TestimonialNeedsPaidOrderError()
    testimonial = Testimonial(
        user_id=user.id,
        author_name=data.get("author_name") or default_author_name(user),
        event_type=data.get("event_type"),
        message=data["message"],
        rating=data["rating"],
        is_approved=False,
        is_featured=False,
        display_order=0,
    )
    db.session.add(testimonial)
    db.session.flush()
    pending = select(Testimonial.id).where(
        Testimonial.user_id == user.id, Testimonial.is_approved.is_(False)
    )
    if len(db.session.scalars(pending.with_for_update()).all()) > 1:
        raise TestimonialPendingError()
    return testimonial


def default_author_name(user: User) -> str:
    """First name and last initial, as `Ana Q.`."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if not first:
        return ANONYMOUS_AUTHOR
    return f"{first} {last[0].upper()}." if last else first


def _has_paid_order(user_id: int) -> bool:
    query = select(Order.id).where(
        Order.user_id == user_id, Order.status.in_(HELD_PAYMENT_STATUSES)
    )
    return db.session.scalar(query.limit(1)) is not None


# --- Admin ---------------------------------------------------------------------------------


def admin_list_testimonials(*, page: int, per_page: int, status: str | None = None) -> Page:
    """Every testimonial (or the pending or approved ones), newest first, with its author."""
    query = select(Testimonial).options(selectinload(Testimonial.user))
    if status is not None:
        query = query.where(Testimonial.is_approved.is_(status == STATUS_APPROVED))
    order = (Testimonial.created_at.desc(), Testimonial.id.desc())
    return paginate(query.order_by(*order), page, per_page)


def admin_get_testimonial(testimonial_id: int) -> Testimonial:
    testimonial = db.session.get(
        Testimonial, testimonial_id, options=[selectinload(Testimonial.user)]
    )
    if testimonial is None:
        raise TestimonialNotFoundError()
    return testimonial


@transactional
def admin_update_testimonial(admin: User, testimonial_id: int, changes: dict) -> Testimonial:
    """Approve, feature or order a testimonial; a featured one must be approved (checked on
    the result, so un-approving a featured testimonial must also un-feature it)."""
    testimonial = admin_get_testimonial(testimonial_id)
    before = audit.snapshot(testimonial)
    for field in ("is_approved", "is_featured", "display_order"):
        if field in changes:
            setattr(testimonial, field, changes[field])
    if testimonial.is_featured and not testimonial.is_approved:
        raise ValidationError(
            details={"is_featured": ["Only an approved testimonial can be featured."]}
        )
    audit.record(admin, "update", testimonial, before=before)
    return testimonial


@transactional
def admin_delete_testimonial(admin: User, testimonial_id: int) -> None:
    testimonial = admin_get_testimonial(testimonial_id)
    audit.record(admin, "delete", testimonial, before=audit.snapshot(testimonial), after={})
    db.session.delete(testimonial)
