"""Orders: checkout, the status machine and its audit trail, expiry, the owner's views."""

import secrets
import string
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from models.order import (
    PAYMENT_PAID,
    PAYMENT_REFUNDED,
    STATUS_CANCELLED,
    STATUS_EXPIRED,
    STATUS_PAID,
    STATUS_PENDING,
    STATUS_REFUNDED,
    STATUS_REFUNDING,
    Order,
    OrderEvent,
    OrderItem,
    normalize_order_number,
)
from models.user import User
from services import coupons, pricing, provisioning
from services.access import get_owned
from services.exceptions import InvalidStateError, NotFoundError, ServiceUnavailableError
from utils.db import execute_dml, restarted_on_deadlock, text_search, transactional
from utils.money import ZERO
from utils.pagination import Page, paginate
from utils.time import lima_date, lima_day_end, lima_day_start, utcnow

# The whole status machine: every change of Order.status goes through `transition_order`.
TRANSITIONS: dict[str, frozenset[str]] = {
    STATUS_PENDING: frozenset({STATUS_PAID, STATUS_CANCELLED, STATUS_EXPIRED}),
    # A refund claims the order first; the gateway's answer finishes it or gives it back.
    STATUS_PAID: frozenset({STATUS_REFUNDING}),
    STATUS_REFUNDING: frozenset({STATUS_REFUNDED, STATUS_PAID}),
    STATUS_CANCELLED: frozenset(),
    STATUS_EXPIRED: frozenset(),
    STATUS_REFUNDED: frozenset(),
}

# No 0/O/1/I: order numbers are read aloud and typed from receipts.
ORDER_NUMBER_ALPHABET = "".join(
    c for c in string.ascii_uppercase + string.digits if c not in "01IO"
)
ORDER_NUMBER_LENGTH = 6
ORDER_NUMBER_ATTEMPTS = 5

_ORDER_LOADS = (selectinload(Order.items), selectinload(Order.invitations))


class OrderNotFoundError(NotFoundError):
    message = "Order not found."


class OrderStateError(InvalidStateError):
    pass


class OrderNumberExhaustedError(ServiceUnavailableError):
    message = "Could not allocate an order number; retry."


def new_order_number(now: datetime | None = None) -> str:
    """`ORD-YYYYMMDD-XXXXXX`: the Lima date and six random characters (~30 bits)."""
    day = lima_date(now).strftime("%Y%m%d")
    suffix = "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(ORDER_NUMBER_LENGTH))
    return f"ORD-{day}-{suffix}"


@restarted_on_deadlock()
@transactional
def checkout(user: User, items: list[dict], coupon_code: str | None = None) -> Order:
    """Turn the cart into a pending order priced by the server; a 0.00 total is paid at once.

    Two checkouts drawing one order number at once can make MariaDB end one as a deadlock
    victim (their inserts cross gap locks of the unique index); that one is run again.
    """
    cart = pricing.price_cart(items, coupon_code, user)
    if cart.coupon is not None:
        coupons.reserve_use(cart.coupon)
    now = utcnow()
    order = _insert_order(
        user_id=user.id,
        subtotal=cart.subtotal,
        discount_total=cart.discount,
        total=cart.total,
        currency=cart.currency,
        coupon_id=cart.coupon.id if cart.coupon is not None else None,
        coupon_code=cart.coupon.code if cart.coupon is not None else None,
        expires_at=now + timedelta(minutes=current_app.config["ORDER_TTL_MINUTES"]),
    )
    for line in cart.items:
        db.session.add(
            OrderItem(
                order_id=order.id,
                plan_id=line.plan_id,
                template_id=line.template_id,
                invitation_id=line.invitation_id,
                plan_name=line.plan_name,
                template_name=line.template_name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.line_total,
            )
        )
    if cart.coupon is not None:
        coupons.record_use(cart.coupon, user, order, cart.discount)
    _record_event(order, None, STATUS_PENDING, reason="checkout", actor_id=user.id)
    if cart.total == ZERO:
        transition_order(order, STATUS_PAID, reason="total is 0.00", actor_id=user.id)
    return order


def transition_order(
    order: Order, to_status: str, *, reason: str, actor_id: int | None = None
) -> Order:
    """Move an order along the status machine, record the change and apply its effects.

    The UPDATE only matches while the row still has the status this code read, so when
    two workers race (a payment and the expiry, say) exactly one change wins and the other
    gets 409 `invalid_state`. Effects: pending -> paid provisions the invitations; cancelled
    or expired -> the coupon use released. Runs inside the caller's transaction.
    """
    from_status = order.status
    if to_status not in TRANSITIONS[from_status]:
        raise OrderStateError(f"An order that is {from_status} cannot become {to_status}.")
    values = _columns_for(from_status, to_status, utcnow())
    result = execute_dml(
        update(Order)
        .where(Order.id == order.id, Order.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise OrderStateError("The order changed meanwhile; reload it.")
    for key, value in values.items():
        set_committed_value(order, key, value)
    db.session.expire(order, ["updated_at"])
    _record_event(order, from_status, to_status, reason=reason, actor_id=actor_id)
    if to_status in (STATUS_CANCELLED, STATUS_EXPIRED):
        coupons.release_use(order)
    elif to_status == STATUS_PAID and from_status == STATUS_PENDING:
        provisioning.provision_order(order)
    return order


@transactional
def mark_order_paid(order: Order, *, reason: str = "payment", actor_id: int | None = None) -> Order:
    """pending -> paid, provisioning its invitations (what a PAID notification calls).

    A pending order past its `expires_at` is still paid: the customer's money arrived.
    """
    return transition_order(order, STATUS_PAID, reason=reason, actor_id=actor_id)


@transactional
def mark_order_refunded(
    order: Order, *, reason: str = "refund", actor_id: int | None = None
) -> Order:
    """refunding -> refunded (the gateway's refund is the caller's business)."""
    return transition_order(order, STATUS_REFUNDED, reason=reason, actor_id=actor_id)


@transactional
def cancel_order(user: User, order_number: str) -> Order:
    """The owner cancels a pending order; its coupon use is released."""
    order = _own_order(user, order_number)
    if _is_due(order):
        raise OrderStateError("This order has expired.")
    return transition_order(
        order, STATUS_CANCELLED, reason="cancelled by the customer", actor_id=user.id
    )


@transactional
def expire_due_orders(*, now: datetime | None = None, user_id: int | None = None) -> int:
    """Expire pending orders past `expires_at` (all, or one user's); returns how many."""
    query = select(Order).where(
        Order.status == STATUS_PENDING, Order.expires_at <= (now or utcnow())
    )
    if user_id is not None:
        query = query.where(Order.user_id == user_id)
    expired = 0
    for order in db.session.scalars(query.order_by(Order.id)).all():
        try:
            transition_order(order, STATUS_EXPIRED, reason="not paid in time")
        except OrderStateError:
            continue  # paid or cancelled by a concurrent request: that change stands
        expired += 1
    return expired


def list_orders(user: User, *, page: int, per_page: int, status: str | None = None) -> Page:
    """The user's orders, newest first; overdue pending ones are expired first."""
    expire_due_orders(user_id=user.id)
    query = select(Order).where(Order.user_id == user.id).options(*_ORDER_LOADS)
    if status:
        query = query.where(Order.status == status)
    return paginate(query.order_by(Order.created_at.desc(), Order.id.desc()), page, per_page)


def get_order(user: User, order_number: str) -> Order:
    """One of the user's orders (another user's is 404), read as expired when overdue."""
    expire_due_orders(user_id=user.id)
    return _own_order(user, order_number, loads=_ORDER_LOADS)


def _own_order(user: User, order_number: str, loads=()) -> Order:
    return get_owned(
        Order,
        user,
        Order.order_number == normalize_order_number(order_number),
        options=loads,
        not_found=OrderNotFoundError,
    )


def _is_due(order: Order) -> bool:
    return (
        order.status == STATUS_PENDING
        and order.expires_at is not None
        and order.expires_at <= utcnow()
    )


def _columns_for(from_status: str, to_status: str, now: datetime) -> dict:
    values: dict = {"status": to_status}
    # refunding -> paid (a refused refund) keeps the original paid_at.
    if to_status == STATUS_PAID and from_status == STATUS_PENDING:
        values.update(payment_status=PAYMENT_PAID, paid_at=now)
    elif to_status == STATUS_CANCELLED:
        values["cancelled_at"] = now
    elif to_status == STATUS_REFUNDED:
        values.update(payment_status=PAYMENT_REFUNDED, refunded_at=now)
    return values


def _record_event(
    order: Order, from_status: str | None, to_status: str, *, reason: str, actor_id: int | None
) -> None:
    db.session.add(
        OrderEvent(
            order_id=order.id,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            actor_user_id=actor_id,
        )
    )


def _insert_order(**columns) -> Order:
    """Insert the order under a fresh random number, drawing again on the rare collision."""
    db.session.flush()
    for _ in range(ORDER_NUMBER_ATTEMPTS):
        order = Order(order_number=new_order_number(), status=STATUS_PENDING, **columns)
        try:
            with db.session.begin_nested():
                db.session.add(order)
        except IntegrityError:
            continue
        return order
    raise OrderNumberExhaustedError()


def admin_list_orders(
    *,
    page: int,
    per_page: int,
    status: str | None = None,
    q: str | None = None,
    date_from=None,
    date_to=None,
) -> Page:
    """Every order, newest first; `q` matches the order number or the buyer's e-mail."""
    query = select(Order).options(*_ORDER_LOADS, selectinload(Order.user))
    if status:
        query = query.where(Order.status == status)
    if (contains := text_search(q)) is not None:
        query = query.join(User, User.id == Order.user_id).where(
            or_(contains(Order.order_number), contains(User.email))
        )
    if date_from:
        query = query.where(Order.created_at >= lima_day_start(date_from))
    if date_to and (end := lima_day_end(date_to)) is not None:
        query = query.where(Order.created_at < end)
    return paginate(query.order_by(Order.created_at.desc(), Order.id.desc()), page, per_page)


def admin_get_order(order_number: str) -> Order:
    order = db.session.scalar(
        select(Order)
        .where(Order.order_number == normalize_order_number(order_number))
        .options(
            *_ORDER_LOADS,
            selectinload(Order.user),
            selectinload(Order.events),
            selectinload(Order.payment_transactions),
        )
    )
    if order is None:
        raise OrderNotFoundError()
    return order
