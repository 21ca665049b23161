"""Coupons: validity rules, the discount they grant, their reservation per order, admin CRUD."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from extensions import db
from models.coupon import DISCOUNT_PERCENTAGE, Coupon, CouponUsage
from models.order import Order
from models.plan import Plan
from models.user import User
from services import audit
from services.exceptions import ConflictError, NotFoundError, ValidationError
from utils.db import execute_dml, text_search, transactional
from utils.money import ZERO, round_money
from utils.pagination import Page, paginate
from utils.time import utcnow

REASON_MESSAGES = {
    "not_found": "This coupon does not exist.",
    "inactive": "This coupon is no longer active.",
    "expired": "This coupon has expired.",
    "not_started": "This coupon is not valid yet.",
    "exhausted": "This coupon has been used up.",
    "user_limit": "You have already used this coupon as many times as allowed.",
    "min_amount": "The order does not reach this coupon's minimum amount.",
    "not_applicable": "This coupon does not apply to the plans in the cart.",
}

HUNDRED = Decimal("100")


class CouponInvalidError(ValidationError):
    code = "coupon_invalid"
    message = "This coupon cannot be applied."

    def __init__(self, reason: str):
        super().__init__(REASON_MESSAGES[reason], details={"reason": reason})
        self.reason = reason


class CouponNotFoundError(NotFoundError):
    message = "Coupon not found."


class CouponCodeTakenError(ConflictError):
    message = "A coupon with this code already exists."


def normalize_code(code: str) -> str:
    return code.strip().upper()


def find_coupon(code: str) -> Coupon:
    """The coupon of `code` (any case), or a `not_found` refusal."""
    coupon = db.session.scalar(
        select(Coupon)
        .where(Coupon.code == normalize_code(code))
        .options(selectinload(Coupon.plans))
    )
    if coupon is None:
        raise CouponInvalidError("not_found")
    return coupon


def count_user_uses(coupon_id: int, user_id: int, *, lock: bool = False) -> int:
    """Uses of a coupon by a user still held by an order; `lock` reads them with FOR UPDATE.

    The locking read matters on MySQL: a plain read inside a REPEATABLE READ transaction
    sees the snapshot taken at its first read, which may predate a concurrent checkout.
    """
    query = select(CouponUsage.id).where(
        CouponUsage.coupon_id == coupon_id, CouponUsage.user_id == user_id
    )
    if lock:
        query = query.with_for_update()
    return len(db.session.scalars(query).all())


def check_coupon(
    coupon: Coupon,
    *,
    user: User | None = None,
    subtotal: Decimal | None = None,
    plan_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> None:
    """Raise the first refusal that applies: active, window, limits, minimum, plans."""
    now = now or utcnow()
    if not coupon.is_active:
        raise CouponInvalidError("inactive")
    if coupon.valid_from is not None and now < coupon.valid_from:
        raise CouponInvalidError("not_started")
    if coupon.valid_until is not None and now > coupon.valid_until:
        raise CouponInvalidError("expired")
    if coupon.max_uses is not None and coupon.used_count >= coupon.max_uses:
        raise CouponInvalidError("exhausted")
    if (
        user is not None
        and coupon.max_uses_per_user is not None
        and count_user_uses(coupon.id, user.id) >= coupon.max_uses_per_user
    ):
        raise CouponInvalidError("user_limit")
    if (
        subtotal is not None
        and coupon.min_order_amount is not None
        and subtotal < coupon.min_order_amount
    ):
        raise CouponInvalidError("min_amount")
    if plan_ids is not None and coupon.plans:
        if not set(plan_ids) & {plan.id for plan in coupon.plans}:
            raise CouponInvalidError("not_applicable")


def applies_to_plan(coupon: Coupon, plan_id: int) -> bool:
    return not coupon.plans or any(plan.id == plan_id for plan in coupon.plans)


def discount_for(coupon: Coupon, base: Decimal) -> Decimal:
    """The discount on `base` (the eligible lines): a share of it, or a fixed amount up to it."""
    if base <= ZERO:
        return ZERO
    if coupon.discount_type == DISCOUNT_PERCENTAGE:
        return min(round_money(base * coupon.discount_value / HUNDRED), base)
    return min(round_money(coupon.discount_value), base)


def describe_validity(
    code: str,
    *,
    user: User | None,
    subtotal: Decimal | None = None,
    plan_ids: list[int] | None = None,
) -> dict:
    """What `POST /api/coupons/validate` answers for a code that passes every check."""
    coupon = find_coupon(code)
    check_coupon(coupon, user=user, subtotal=subtotal, plan_ids=plan_ids)
    result = {
        "valid": True,
        "code": coupon.code,
        "discount_type": coupon.discount_type,
        "discount_value": coupon.discount_value,
        "min_order_amount": coupon.min_order_amount,
        "valid_until": coupon.valid_until,
        "plan_ids": [plan.id for plan in coupon.plans],
    }
    if subtotal is not None:
        result["discount_amount"] = discount_for(coupon, subtotal)
    return result


def reserve_use(coupon: Coupon) -> None:
    """Take one use of the coupon inside the caller's transaction, or refuse `exhausted`.

    The conditional UPDATE is the total limit: the database evaluates it against the
    latest committed row and locks that row until commit (MySQL row lock; SQLite's single
    writer), so concurrent checkouts of one coupon queue here and at most `max_uses` of
    them match. PyMySQL reports matched rows, so `rowcount` is reliable.
    """
    result = execute_dml(
        update(Coupon)
        .where(
            Coupon.id == coupon.id,
            or_(Coupon.max_uses.is_(None), Coupon.used_count < Coupon.max_uses),
        )
        .values(used_count=Coupon.used_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(coupon, ["used_count", "updated_at"])
    if result.rowcount != 1:
        raise CouponInvalidError("exhausted")


def record_use(coupon: Coupon, user: User, order: Order, discount: Decimal) -> CouponUsage:
    """Write the usage row of a reserved use, then enforce the per-user limit.

    Still holding the coupon row lock of `reserve_use`, the user's uses are counted with a
    locking read (it sees rows other checkouts committed after this transaction began).
    The row is inserted before that read so this transaction inserts nothing into
    `coupon_usages` after taking its gap locks: two checkouts of different coupons cannot
    deadlock there.
    """
    usage = CouponUsage(
        coupon_id=coupon.id, user_id=user.id, order_id=order.id, discount_amount=discount
    )
    db.session.add(usage)
    db.session.flush()
    if (
        coupon.max_uses_per_user is not None
        and count_user_uses(coupon.id, user.id, lock=True) > coupon.max_uses_per_user
    ):
        raise CouponInvalidError("user_limit")
    return usage


def release_use(order: Order) -> None:
    """Give back the use an order holds (cancelled or expired); nothing when it holds none."""
    usage = db.session.scalar(select(CouponUsage).where(CouponUsage.order_id == order.id))
    if usage is None:
        return
    db.session.execute(
        update(Coupon)
        .where(Coupon.id == usage.coupon_id, Coupon.used_count > 0)
        .values(used_count=Coupon.used_count - 1)
        .execution_options(synchronize_session=False)
    )
    coupon = db.session.get(Coupon, usage.coupon_id)
    if coupon is not None:
        db.session.expire(coupon, ["used_count", "updated_at"])
    db.session.delete(usage)


# --- Admin ---------------------------------------------------------------------------------


def admin_list_coupons(
    *, page: int, per_page: int, q: str | None = None, is_active: bool | None = None
) -> Page:
    query = select(Coupon).options(selectinload(Coupon.plans))
    if is_active is not None:
        query = query.where(Coupon.is_active.is_(is_active))
    if (contains := text_search(q)) is not None:
        query = query.where(contains(Coupon.code))
    return paginate(query.order_by(Coupon.created_at.desc(), Coupon.id.desc()), page, per_page)


def admin_get_coupon(coupon_id: int) -> Coupon:
    coupon = db.session.get(Coupon, coupon_id, options=[selectinload(Coupon.plans)])
    if coupon is None:
        raise CouponNotFoundError()
    return coupon


@transactional
def admin_create_coupon(admin: User, data: dict) -> Coupon:
    coupon = Coupon(used_count=0)
    _apply_coupon_changes(coupon, data)
    db.session.add(coupon)
    _flush_unique_code()
    audit.record(admin, "create", coupon, extra=_plan_ids_change([], coupon))
    return coupon


@transactional
def admin_update_coupon(admin: User, coupon_id: int, changes: dict) -> Coupon:
    coupon = admin_get_coupon(coupon_id)
    before, plans_before = audit.snapshot(coupon), sorted(plan.id for plan in coupon.plans)
    _apply_coupon_changes(coupon, changes)
    _flush_unique_code()
    audit.record(admin, "update", coupon, before=before,
                 extra=_plan_ids_change(plans_before, coupon))  # fmt: skip
    return coupon


def _plan_ids_change(before: list[int], coupon: Coupon) -> dict:
    after = sorted(plan.id for plan in coupon.plans)
    return {"plan_ids": [before, after]} if before != after else {}


@transactional
def admin_delete_coupon(admin: User, coupon_id: int) -> None:
    """Delete an unused coupon; one that any order carried is deactivated, keeping history."""
    coupon = admin_get_coupon(coupon_id)
    used = db.session.execute(
        select(func.count(Order.id)).where(Order.coupon_id == coupon.id)
    ).scalar_one()
    used += db.session.execute(
        select(func.count(CouponUsage.id)).where(CouponUsage.coupon_id == coupon.id)
    ).scalar_one()
    before = audit.snapshot(coupon)
    if used:
        coupon.is_active = False
        audit.record(admin, "deactivate", coupon, before=before)
    else:
        audit.record(admin, "delete", coupon, before=before, after={})
        db.session.delete(coupon)


def admin_list_coupon_usages(coupon_id: int, *, page: int, per_page: int) -> Page:
    admin_get_coupon(coupon_id)
    query = (
        select(CouponUsage)
        .where(CouponUsage.coupon_id == coupon_id)
        .options(selectinload(CouponUsage.user), selectinload(CouponUsage.order))
        .order_by(CouponUsage.created_at.desc(), CouponUsage.id.desc())
    )
    return paginate(query, page, per_page)


def _apply_coupon_changes(coupon: Coupon, changes: dict) -> None:
    for field, value in changes.items():
        if field == "plan_ids":
            coupon.plans = _plans_by_id(value)
        else:
            setattr(coupon, field, value)
    problems = _coupon_problems(coupon)
    if problems:
        raise ValidationError(details=problems)


def _coupon_problems(coupon: Coupon) -> dict[str, list[str]]:
    """Rules that span fields, checked on the merged result so a PATCH cannot break them."""
    problems: dict[str, list[str]] = {}
    if coupon.discount_type == DISCOUNT_PERCENTAGE:
        if not ZERO < coupon.discount_value <= HUNDRED:
            problems["discount_value"] = ["A percentage must be over 0 and at most 100."]
    elif coupon.discount_value <= ZERO:
        problems["discount_value"] = ["A fixed discount must be over 0."]
    if (
        coupon.valid_from is not None
        and coupon.valid_until is not None
        and coupon.valid_until <= coupon.valid_from
    ):
        problems["valid_until"] = ["Must be after valid_from."]
    return problems


def _plans_by_id(plan_ids: list[int]) -> list[Plan]:
    wanted = sorted(set(plan_ids))
    plans = db.session.scalars(select(Plan).where(Plan.id.in_(wanted))).all() if wanted else []
    missing = set(wanted) - {plan.id for plan in plans}
    if missing:
        raise ValidationError(
            details={"plan_ids": [f"Unknown plan id {plan_id}." for plan_id in sorted(missing)]}
        )
    return list(plans)


def _flush_unique_code() -> None:
    # The unique index decides, so two admins creating one code at once get one 409.
    try:
        db.session.flush()
    except IntegrityError as error:
        raise CouponCodeTakenError() from error
