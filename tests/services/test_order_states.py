"""The order status machine: every legal move, every illegal one, and racing moves."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from extensions import db
from models.coupon import Coupon, CouponUsage
from models.order import ORDER_STATUSES, Order, OrderEvent, OrderItem
from services import orders
from services.orders import TRANSITIONS, OrderStateError
from utils.time import utcnow

D = Decimal

LEGAL = [
    ("pending", "paid"),
    ("pending", "cancelled"),
    ("pending", "expired"),
    ("paid", "refunding"),
    ("refunding", "refunded"),
    ("refunding", "paid"),
]
# What payment_status an order in each status has.
PAYMENT_STATUS = {"paid": "paid", "refunding": "paid", "refunded": "refunded"}
ILLEGAL = [
    (from_status, to_status)
    for from_status in ORDER_STATUSES
    for to_status in ORDER_STATUSES
    if (from_status, to_status) not in LEGAL
]


def _order(make, status="pending", *, coupon=None) -> Order:
    user = make.user()
    plan, template = make.plan(), make.template()
    order = Order(
        order_number=orders.new_order_number(),
        user_id=user.id,
        status=status,
        payment_status=PAYMENT_STATUS.get(status, "unpaid"),
        paid_at=utcnow() - timedelta(days=1) if status in PAYMENT_STATUS else None,
        subtotal=D("149.00"),
        total=D("149.00"),
        coupon_id=coupon.id if coupon else None,
    )
    order.items.append(
        OrderItem(
            plan_id=plan.id,
            template_id=template.id,
            plan_name=plan.name,
            template_name=template.name,
            quantity=1,
            unit_price=D("149.00"),
            line_total=D("149.00"),
        )
    )
    db.session.add(order)
    db.session.flush()
    if coupon is not None:
        coupon.used_count += 1
        db.session.add(
            CouponUsage(
                coupon_id=coupon.id, user_id=user.id, order_id=order.id, discount_amount=D("1")
            )
        )
    db.session.commit()
    return order


def test_the_machine_is_exactly_the_specs():
    declared = {(f, t) for f, targets in TRANSITIONS.items() for t in targets}
    assert declared == set(LEGAL)
    assert set(TRANSITIONS) == set(ORDER_STATUSES)


@pytest.mark.parametrize("from_status, to_status", LEGAL)
def test_each_legal_transition_is_applied_and_recorded(make, from_status, to_status):
    order = _order(make, from_status)

    orders.transition_order(order, to_status, reason="test", actor_id=order.user_id)
    db.session.commit()

    db.session.expire_all()
    assert order.status == to_status
    event = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id))
    assert (event.from_status, event.to_status, event.reason, event.actor_user_id) == (
        from_status,
        to_status,
        "test",
        order.user_id,
    )
    assert event.created_at is not None
    expected_payment = PAYMENT_STATUS.get(to_status, "unpaid")
    assert order.payment_status == expected_payment
    stamp = {"paid": "paid_at", "cancelled": "cancelled_at", "refunded": "refunded_at"}
    if to_status in stamp:
        assert getattr(order, stamp[to_status]) is not None


@pytest.mark.parametrize("from_status, to_status", ILLEGAL)
def test_each_illegal_transition_is_invalid_state_and_changes_nothing(make, from_status, to_status):
    order = _order(make, from_status)

    with pytest.raises(OrderStateError) as raised:
        orders.transition_order(order, to_status, reason="test")
    db.session.rollback()

    assert raised.value.status == 409 and raised.value.code == "invalid_state"
    assert db.session.get(Order, order.id).status == from_status
    assert db.session.scalar(select(OrderEvent)) is None


def test_a_stale_read_loses_the_race_instead_of_overwriting(make):
    """Two workers read `pending`; the one that writes second gets 409, not a second change."""
    coupon = make.coupon(max_uses=5)
    order = _order(make, coupon=coupon)
    assert order.status == "pending"  # this session now holds a `pending` copy
    with db.engine.begin() as other_worker:
        other_worker.execute(
            text("UPDATE orders SET status = 'paid', payment_status = 'paid' WHERE id = :id"),
            {"id": order.id},
        )

    with pytest.raises(OrderStateError):
        orders.transition_order(order, "cancelled", reason="late cancel")
    db.session.rollback()

    assert db.session.get(Order, order.id).status == "paid"
    assert db.session.get(Coupon, coupon.id).used_count == 1


@pytest.mark.parametrize("to_status", ["cancelled", "expired"])
def test_cancel_and_expiry_release_the_coupon_use(make, to_status):
    coupon = make.coupon(max_uses=2)
    order = _order(make, coupon=coupon)

    orders.transition_order(order, to_status, reason="test")
    db.session.commit()

    assert db.session.get(Coupon, coupon.id).used_count == 0
    assert db.session.scalar(select(CouponUsage)) is None


def test_paying_keeps_the_coupon_use_and_provisions(make):
    coupon = make.coupon(max_uses=2)
    order = _order(make, coupon=coupon)

    orders.mark_order_paid(order, reason="izipay PAID")

    db.session.expire_all()
    assert db.session.get(Coupon, coupon.id).used_count == 1
    assert len(order.invitations) == 1
    assert order.paid_at is not None


def test_refund_is_recorded_with_its_actor(make):
    order = _order(make, "refunding")
    admin = make.user(role="admin")

    orders.mark_order_refunded(order, reason="customer request", actor_id=admin.id)

    event = db.session.scalar(select(OrderEvent))
    assert (event.to_status, event.actor_user_id) == ("refunded", admin.id)
    assert db.session.get(Order, order.id).payment_status == "refunded"


def test_a_refused_refund_gives_the_order_back_as_it_was_paid(make):
    order = _order(make, "refunding")
    paid_at = db.session.get(Order, order.id).paid_at

    orders.transition_order(order, "paid", reason="refund refused by the gateway")
    db.session.commit()

    db.session.expire_all()
    assert (order.status, order.payment_status, order.paid_at) == ("paid", "paid", paid_at)
    assert order.invitations == []  # paying again provisions nothing
