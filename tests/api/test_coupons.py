"""Coupons: each refusal reason, case-insensitive codes, limits, and release on cancel."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models.coupon import Coupon, CouponUsage
from models.order import Order
from tests.commerce_fixtures import cart, checkout, count, fresh, line
from utils.time import utcnow

D = Decimal


def _coupon_for(reason, make):
    """A coupon, the cart plan and a user such that applying it fails with `reason`."""
    now = utcnow()
    plan = make.plan(price=D("149.00"))
    settings = {
        "inactive": {"is_active": False},
        "expired": {"valid_until": now - timedelta(minutes=1)},
        "not_started": {"valid_from": now + timedelta(days=1)},
        "exhausted": {"max_uses": 3, "used_count": 3},
        "user_limit": {"max_uses_per_user": 1},
        "min_amount": {"min_order_amount": D("200.00")},
        "not_applicable": {},
    }[reason]
    coupon = make.coupon(code=f"NO-{reason.upper()}", **settings)
    if reason == "not_applicable":
        coupon.plans = [make.plan()]
        db.session.commit()
    return coupon, plan


def _used_up_by(user, coupon):
    """Record one earlier use of `coupon` by `user` through a paid order."""
    order = Order(
        order_number=f"ORD-20260101-{user.id:06d}",
        user_id=user.id,
        status="paid",
        payment_status="paid",
        subtotal=D("149.00"),
        total=D("149.00"),
        coupon_id=coupon.id,
    )
    db.session.add(order)
    db.session.flush()
    db.session.add(
        CouponUsage(coupon_id=coupon.id, user_id=user.id, order_id=order.id, discount_amount=D(1))
    )
    db.session.commit()


REASONS = [
    "inactive",
    "expired",
    "not_started",
    "exhausted",
    "user_limit",
    "min_amount",
    "not_applicable",
]


@pytest.mark.parametrize("reason", REASONS)
def test_validate_refuses_with_the_reason(client, make, auth_headers, reason):
    user = make.user()
    coupon, plan = _coupon_for(reason, make)
    if reason == "user_limit":
        _used_up_by(user, coupon)

    response = client.post(
        "/api/coupons/validate",
        json={"code": coupon.code.lower(), "subtotal": "149.00", "plan_ids": [plan.id]},
        headers=auth_headers(user),
    )

    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "coupon_invalid"
    assert body["details"] == {"reason": reason}


@pytest.mark.parametrize("reason", REASONS)
def test_checkout_refuses_with_the_reason_and_creates_nothing(client, make, auth_headers, reason):
    user = make.user()
    coupon, plan = _coupon_for(reason, make)
    if reason == "user_limit":
        _used_up_by(user, coupon)
    used_before = coupon.used_count

    response = checkout(
        client, auth_headers(user), line(plan, make.template()), coupon_code=coupon.code
    )

    assert response.status_code == 422
    assert response.get_json()["details"] == {"reason": reason}
    assert count(Order, Order.status == "pending") == 0
    assert fresh(Coupon, coupon.id).used_count == used_before


def test_unknown_code_is_not_found(client, make):
    for path, body in (
        ("/api/coupons/validate", {"code": "NOEXISTE"}),
        ("/api/cart/summary", cart(line(make.plan(), make.template()), coupon_code="NOEXISTE")),
    ):
        response = client.post(path, json=body)
        assert response.status_code == 422
        assert response.get_json()["details"] == {"reason": "not_found"}


def test_validate_is_case_insensitive_and_gives_the_discount(client, make):
    make.coupon(code="Fiesta20", discount_type="fixed", discount_value=D("20"))

    response = client.post("/api/coupons/validate", json={"code": " fiesta20 ", "subtotal": 15})

    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is True
    assert (body["code"], body["discount_type"], body["discount_value"]) == (
        "FIESTA20",
        "fixed",
        "20.00",
    )
    assert body["discount_amount"] == "15.00"


def test_validate_without_subtotal_has_no_amount(client, make):
    make.coupon(code="DIEZ", discount_value=D("10"))

    body = client.post("/api/coupons/validate", json={"code": "diez"}).get_json()

    assert body["valid"] is True and "discount_amount" not in body


def test_validate_anonymous_skips_the_per_user_limit(client, make):
    coupon = make.coupon(max_uses_per_user=1)
    _used_up_by(make.user(), coupon)

    assert client.post("/api/coupons/validate", json={"code": coupon.code}).status_code == 200


def test_coupon_window_edges_are_inclusive_of_now(client, make):
    now = utcnow()
    make.coupon(
        code="VENTANA", valid_from=now - timedelta(minutes=1), valid_until=now + timedelta(hours=1)
    )
    assert client.post("/api/coupons/validate", json={"code": "ventana"}).status_code == 200


def test_min_amount_is_met_at_exactly_the_minimum(client, make):
    make.coupon(code="MINIMO", min_order_amount=D("149.00"))
    plan = make.plan(price=D("149.00"))

    response = client.post(
        "/api/cart/summary", json=cart(line(plan, make.template()), coupon_code="minimo")
    )

    assert response.status_code == 200
    assert response.get_json()["discount"] == "14.90"


def test_per_user_limit_counts_only_that_user(client, make, auth_headers):
    plan, template = make.plan(), make.template()
    coupon = make.coupon(max_uses_per_user=1)
    first, second = make.user(), make.user()

    assert (
        checkout(
            client, auth_headers(first), line(plan, template), coupon_code=coupon.code
        ).status_code
        == 201
    )
    again = checkout(client, auth_headers(first), line(plan, template), coupon_code=coupon.code)
    other = checkout(client, auth_headers(second), line(plan, template), coupon_code=coupon.code)

    assert again.get_json()["details"] == {"reason": "user_limit"}
    assert other.status_code == 201
    assert fresh(Coupon, coupon.id).used_count == 2


def test_the_last_use_then_exhausted(client, make, auth_headers):
    plan, template = make.plan(), make.template()
    coupon = make.coupon(max_uses=1)
    user = make.user()

    assert (
        checkout(
            client, auth_headers(user), line(plan, template), coupon_code=coupon.code
        ).status_code
        == 201
    )
    refused = checkout(
        client, auth_headers(make.user()), line(plan, template), coupon_code=coupon.code
    )

    assert refused.get_json()["details"] == {"reason": "exhausted"}


def test_cancel_releases_the_use_so_it_can_be_used_again(client, make, auth_headers):
    plan, template = make.plan(), make.template()
    coupon = make.coupon(max_uses=1, max_uses_per_user=1)
    user = make.user()
    number = checkout(
        client, auth_headers(user), line(plan, template), coupon_code=coupon.code
    ).get_json()["order_number"]

    cancelled = client.post(f"/api/orders/{number}/cancel", headers=auth_headers(user))

    assert cancelled.status_code == 200
    assert cancelled.get_json()["coupon_code"] == coupon.code
    assert fresh(Coupon, coupon.id).used_count == 0
    assert count(CouponUsage) == 0
    again = checkout(client, auth_headers(user), line(plan, template), coupon_code=coupon.code)
    assert again.status_code == 201


def test_one_usage_row_per_order_records_the_discount(client, make, auth_headers):
    plan = make.plan(price=D("100.00"))
    coupon = make.coupon(discount_type="fixed", discount_value=D("30"))
    user = make.user()

    checkout(client, auth_headers(user), line(plan, make.template(), 2), coupon_code=coupon.code)

    usage = db.session.scalar(select(CouponUsage))
    assert usage.discount_amount == D("30.00")
    assert usage.order.coupon_code == coupon.code


@pytest.mark.parametrize("subtotal", ["149.90", "149", 149.9, 149, 0])
def test_validate_reads_a_subtotal_sent_as_text_or_number(client, make, subtotal):
    make.coupon(code="DIEZ", discount_type="percentage", discount_value=D("10"))

    response = client.post("/api/coupons/validate", json={"code": "diez", "subtotal": subtotal})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["discount_amount"] == f"{D(str(subtotal)) / 10:.2f}"


@pytest.mark.parametrize(
    "subtotal",
    [" 149.90", "149.90\n", "1_000", "1e2", "-1", "149.999", 149.999, "", True, None, [149]],
)
def test_validate_refuses_an_amount_the_document_does_not_allow(client, make, subtotal):
    """The document's pattern (digits, two decimals) is what the server reads, nothing more."""
    make.coupon(code="DIEZ")

    response = client.post("/api/coupons/validate", json={"code": "DIEZ", "subtotal": subtotal})

    assert response.status_code == 422
    assert "subtotal" in response.get_json()["details"]


def test_validate_takes_a_token_or_none_as_documented(client, make, auth_headers):
    make.coupon(code="DIEZ")
    body = {"code": "DIEZ"}

    anonymous = client.post("/api/coupons/validate", json=body)
    signed_in = client.post("/api/coupons/validate", json=body, headers=auth_headers(make.user()))
    operation = client.get("/api/openapi.json").get_json()["paths"]["/api/coupons/validate"]

    assert (anonymous.status_code, signed_in.status_code) == (200, 200)
    assert operation["post"]["security"] == [{}, {"bearerAuth": []}]
