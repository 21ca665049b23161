"""The customer's orders: listing, detail, cancel, expiry on read and by command."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from extensions import db
from models.coupon import Coupon, CouponUsage
from models.order import Order, OrderEvent
from tests.commerce_fixtures import checkout, count, fresh, line
from utils.time import utcnow

D = Decimal


def _order(client, make, auth_headers, user, **coupon):
    plan, template = make.plan(), make.template()
    code = make.coupon(**coupon).code if coupon else None
    response = checkout(client, auth_headers(user), line(plan, template), coupon_code=code)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["order_number"]


def _overdue(order_number):
    db.session.execute(
        update(Order)
        .where(Order.order_number == order_number)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def test_orders_list_is_own_paginated_and_newest_first(client, make, auth_headers):
    user, other = make.user(), make.user()
    numbers = [_order(client, make, auth_headers, user) for _ in range(3)]
    _order(client, make, auth_headers, other)

    first = client.get("/api/orders?per_page=2", headers=auth_headers(user)).get_json()
    second = client.get("/api/orders?per_page=2&page=2", headers=auth_headers(user)).get_json()

    assert (first["total"], first["pages"], first["page"]) == (3, 2, 1)
    listed = [o["order_number"] for o in first["items"] + second["items"]]
    assert listed == list(reversed(numbers))
    assert first["items"][0]["items"][0]["quantity"] == 1


def test_orders_list_filters_by_status(client, make, auth_headers):
    user = make.user()
    kept = _order(client, make, auth_headers, user)
    cancelled = _order(client, make, auth_headers, user)
    client.post(f"/api/orders/{cancelled}/cancel", headers=auth_headers(user))

    body = client.get("/api/orders?status=pending", headers=auth_headers(user)).get_json()

    assert [o["order_number"] for o in body["items"]] == [kept]


def test_orders_need_a_signed_in_user(client):
    assert client.get("/api/orders").status_code == 401
    assert client.get("/api/orders/ORD-20260101-AAAAAA").status_code == 401


def test_another_users_order_is_not_found(client, make, auth_headers):
    owner, intruder = make.user(), make.user()
    number = _order(client, make, auth_headers, owner)

    seen = client.get(f"/api/orders/{number}", headers=auth_headers(intruder))
    cancelled = client.post(f"/api/orders/{number}/cancel", headers=auth_headers(intruder))

    assert (seen.status_code, cancelled.status_code) == (404, 404)
    assert seen.get_json()["error"] == "not_found"
    assert fresh(Order, db.session.scalar(select(Order.id))).status == "pending"


def test_order_detail_accepts_the_number_in_any_case(client, make, auth_headers):
    user = make.user()
    number = _order(client, make, auth_headers, user)

    response = client.get(f"/api/orders/{number.lower()}", headers=auth_headers(user))

    assert response.status_code == 200
    assert response.get_json()["order_number"] == number


def test_cancel_a_pending_order_records_the_transition(client, make, auth_headers):
    user = make.user()
    number = _order(client, make, auth_headers, user)

    response = client.post(f"/api/orders/{number}/cancel", headers=auth_headers(user))

    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["payment_status"]) == ("cancelled", "unpaid")
    assert body["cancelled_at"] is not None
    event = db.session.scalars(select(OrderEvent).order_by(OrderEvent.id.desc())).first()
    assert (event.from_status, event.to_status, event.actor_user_id) == (
        "pending",
        "cancelled",
        user.id,
    )


def test_cancel_twice_is_invalid_state(client, make, auth_headers):
    user = make.user()
    number = _order(client, make, auth_headers, user)
    client.post(f"/api/orders/{number}/cancel", headers=auth_headers(user))

    response = client.post(f"/api/orders/{number}/cancel", headers=auth_headers(user))

    assert response.status_code == 409
    assert response.get_json()["error"] == "invalid_state"


def test_cancel_a_paid_order_is_invalid_state(client, make, auth_headers):
    user = make.user()
    plan, template = make.plan(price=D("0")), make.template()
    number = checkout(client, auth_headers(user), line(plan, template)).get_json()["order_number"]

    response = client.post(f"/api/orders/{number}/cancel", headers=auth_headers(user))

    assert response.status_code == 409
    assert response.get_json()["error"] == "invalid_state"


def test_an_overdue_pending_order_reads_as_expired_and_frees_its_coupon(client, make, auth_headers):
    user = make.user()
    number = _order(client, make, auth_headers, user, max_uses=1)
    _overdue(number)

    detail = client.get(f"/api/orders/{number}", headers=auth_headers(user)).get_json()

    assert detail["status"] == "expired"
    coupon = db.session.scalar(select(Coupon))
    assert coupon.used_count == 0
    assert count(CouponUsage) == 0
    events = db.session.scalars(select(OrderEvent).order_by(OrderEvent.id)).all()
    assert [e.to_status for e in events] == ["pending", "expired"]


def test_an_overdue_order_is_expired_in_the_list_and_cannot_be_cancelled(
    client, make, auth_headers
):
    user = make.user()
    number = _order(client, make, auth_headers, user)
    _overdue(number)

    cancel = client.post(f"/api/orders/{number}/cancel", headers=auth_headers(user))
    listed = client.get("/api/orders", headers=auth_headers(user)).get_json()

    assert cancel.status_code == 409
    assert listed["items"][0]["status"] == "expired"


def test_flask_orders_expire_expires_only_overdue_pending_orders(
    client, runner, make, auth_headers
):
    user = make.user()
    overdue = _order(client, make, auth_headers, user, max_uses=5)
    current = _order(client, make, auth_headers, user)
    _overdue(overdue)

    result = runner.invoke(args=["orders", "expire"])
    again = runner.invoke(args=["orders", "expire"])

    assert result.exit_code == 0
    assert "Expired 1 order." in result.output
    assert "Expired 0 orders." in again.output
    db.session.rollback()
    statuses = dict(db.session.execute(select(Order.order_number, Order.status)).all())
    assert statuses == {overdue: "expired", current: "pending"}
    assert db.session.scalar(select(Coupon.used_count).where(Coupon.max_uses == 5)) == 0
