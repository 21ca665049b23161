"""The cart: the server prices every line and coupon; checkout turns it into an order."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models.coupon import CouponUsage
from models.invitation import Invitation
from models.order import Order, OrderEvent
from tests.commerce_fixtures import cart, checkout, count, fresh, line
from utils.time import utcnow

D = Decimal

# (plan price, template price, quantity) per line; coupon (type, value, only_plan_index);
# expected subtotal, discount, total.
PRICING_CASES = {
    "one line, free template": ([("149.00", "0.00", 1)], None, ("149.00", "0.00", "149.00")),
    "template adds to the plan, times quantity": (
        [("149.00", "30.00", 2)],
        None,
        ("358.00", "0.00", "358.00"),
    ),
    "several plans and templates": (
        [("149.00", "30.00", 1), ("249.00", "50.00", 3), ("149.50", "0.25", 10)],
        None,
        ("2573.50", "0.00", "2573.50"),
    ),
    "percentage": (
        [("149.00", "0.00", 1)],
        ("percentage", "10", None),
        ("149.00", "14.90", "134.10"),
    ),
    "percentage rounds half-up (22.425)": (
        [("149.50", "0.00", 1)],
        ("percentage", "15", None),
        ("149.50", "22.43", "127.07"),
    ),
    "percentage rounds half-up, not to even (2.525)": (
        [("10.00", "0.10", 1)],
        ("percentage", "25", None),
        ("10.10", "2.53", "7.57"),
    ),
    "percentage of 100 makes it free": (
        [("249.00", "50.00", 2)],
        ("percentage", "100", None),
        ("598.00", "598.00", "0.00"),
    ),
    "fixed": ([("149.00", "30.00", 1)], ("fixed", "50", None), ("179.00", "50.00", "129.00")),
    "fixed is capped at the subtotal": (
        [("149.00", "0.00", 1)],
        ("fixed", "200", None),
        ("149.00", "149.00", "0.00"),
    ),
    "percentage only on the lines of its plan": (
        [("149.00", "0.00", 1), ("249.00", "0.00", 1)],
        ("percentage", "10", 1),
        ("398.00", "24.90", "373.10"),
    ),
    "fixed capped at the lines of its plan": (
        [("149.00", "0.00", 1), ("249.00", "0.00", 1)],
        ("fixed", "300", 1),
        ("398.00", "249.00", "149.00"),
    ),
}


@pytest.mark.parametrize("lines, coupon, expected", PRICING_CASES.values(), ids=list(PRICING_CASES))
def test_summary_prices_the_cart(client, make, lines, coupon, expected):
    body_lines, plans = [], []
    for plan_price, template_price, quantity in lines:
        plan = make.plan(price=D(plan_price))
        template = make.template(price=D(template_price))
        plans.append(plan)
        body_lines.append(line(plan, template, quantity))
    code = None
    if coupon:
        kind, value, only_plan = coupon
        made = make.coupon(discount_type=kind, discount_value=D(value))
        if only_plan is not None:
            made.plans = [plans[only_plan]]
            db.session.commit()
        code = made.code.lower()

    response = client.post("/api/cart/summary", json=cart(*body_lines, coupon_code=code))

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["subtotal"], body["discount"], body["total"]) == expected
    assert body["currency"] == "PEN"
    for sent, priced, (plan_price, template_price, quantity) in zip(
        body_lines, body["items"], lines, strict=True
    ):
        unit = D(plan_price) + D(template_price)
        assert priced["plan_id"] == sent["plan_id"]
        assert priced["unit_price"] == f"{unit:.2f}"
        assert priced["line_total"] == f"{unit * quantity:.2f}"
    if coupon:
        assert body["coupon"]["code"] == code.upper()
        assert body["coupon"]["discount_type"] == coupon[0]
    else:
        assert body["coupon"] is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"items": [{"plan_id": 1, "template_id": 1, "price": "1.00"}]}, "items.0.price"),
        ({"items": [{"plan_id": 1, "template_id": 1}], "user_id": 7}, "user_id"),
        ({"items": [{"plan_id": 1, "template_id": 1, "quantity": 0}]}, "items.0.quantity"),
        ({"items": [{"plan_id": 1, "template_id": 1, "quantity": 11}]}, "items.0.quantity"),
        ({"items": [{"plan_id": "uno", "template_id": 1}]}, "items.0.plan_id"),
        ({"items": [{"template_id": 1}]}, "items.0.plan_id"),
        ({"items": []}, "items"),
        ({"coupon_code": "X"}, "items"),
    ],
)
def test_cart_shape_errors_are_422_naming_the_field(client, body, field):
    response = client.post("/api/cart/summary", json=body)

    assert response.status_code == 422
    assert response.get_json()["error"] == "validation_error"
    assert field in response.get_json()["details"]


ECHOED_AMOUNTS = {
    "numbers": {"unit_price": 1, "line_total": 2.5},
    "null": {"unit_price": None},
    "an object": {"line_total": {"amount": "1.00", "nested": [1, {"x": None}]}},
    "a list": {"unit_price": [1, [2, "3"]], "line_total": []},
    "text": {"line_total": "gratis"},
}


@pytest.mark.parametrize("echoed", ECHOED_AMOUNTS.values(), ids=list(ECHOED_AMOUNTS))
def test_echoed_amounts_of_any_type_are_ignored(client, make, auth_headers, echoed):
    plan = make.plan(price=D("149.00"))
    template = make.template(price=D("30.00"))
    body = cart(line(plan, template, **echoed))
    body.update(subtotal={"a": 1}, discount=[0], total=True, currency={"code": "USD"})

    summary = client.post("/api/cart/summary", json=body)
    order = client.post("/api/cart/checkout", json=body, headers=auth_headers(make.user()))

    assert summary.status_code == 200, summary.get_json()
    assert summary.get_json()["total"] == "179.00"
    assert order.status_code == 201, order.get_json()
    assert order.get_json()["total"] == "179.00"


def test_summary_takes_a_token_or_none_as_documented(client, make, auth_headers):
    plan, template = make.plan(), make.template()
    body = cart(line(plan, template))

    anonymous = client.post("/api/cart/summary", json=body)
    signed_in = client.post("/api/cart/summary", json=body, headers=auth_headers(make.user()))
    forged = client.post(
        "/api/cart/summary", json=body, headers={"Authorization": "Bearer not-a-token"}
    )
    operation = client.get("/api/openapi.json").get_json()["paths"]["/api/cart/summary"]["post"]

    assert (anonymous.status_code, signed_in.status_code, forged.status_code) == (200, 200, 401)
    assert operation["security"] == [{}, {"bearerAuth": []}]


def test_client_prices_never_reach_the_order(client, make, auth_headers):
    user = make.user()
    plan, template = make.plan(price=D("149.00")), make.template(price=D("30.00"))

    response = client.post(
        "/api/cart/checkout",
        json={
            "items": [line(plan, template, unit_price="1.00", line_total="1.00")],
            "subtotal": "1.00",
            "discount": "178.00",
            "total": "1.00",
            "currency": "USD",
        },
        headers=auth_headers(user),
    )

    assert response.status_code == 201
    body = response.get_json()
    assert (body["subtotal"], body["discount"], body["total"]) == ("179.00", "0.00", "179.00")
    assert body["currency"] == "PEN"
    assert body["items"][0]["unit_price"] == "179.00"
    assert count(Order) == 1


def test_unknown_or_inactive_plan_and_template_are_named_per_item(client, make):
    plan, template = make.plan(), make.template()
    hidden_plan, hidden_template = make.plan(is_active=False), make.template(is_active=False)

    response = client.post(
        "/api/cart/summary",
        json=cart(
            line(plan, template),
            line(hidden_plan, template),
            {"plan_id": plan.id, "template_id": hidden_template.id},
            {"plan_id": 999_999, "template_id": 999_998},
        ),
    )

    assert response.status_code == 422
    assert set(response.get_json()["details"]) == {
        "items.1.plan_id",
        "items.2.template_id",
        "items.3.plan_id",
        "items.3.template_id",
    }


def test_checkout_requires_a_signed_in_user(client, make):
    response = client.post("/api/cart/checkout", json=cart(line(make.plan(), make.template())))
    assert response.status_code == 401


def test_checkout_creates_a_pending_order_with_priced_snapshot(app, client, make, auth_headers):
    user = make.user()
    plan = make.plan(name="Exclusive", price=D("249.00"))
    template = make.template(name="Noche Dorada", price=D("50.00"))
    coupon = make.coupon(code="VERANO10", discount_type="percentage", discount_value=D("10"))
    before = utcnow()

    response = checkout(client, auth_headers(user), line(plan, template, 2), coupon_code="verano10")

    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert re.fullmatch(r"ORD-\d{8}-[A-Z2-9]{6}", order["order_number"])
    assert order["status"] == "pending"
    assert order["payment_status"] == "unpaid"
    assert (order["subtotal"], order["discount"], order["total"]) == ("598.00", "59.80", "538.20")
    assert order["currency"] == "PEN"
    assert order["coupon_code"] == "VERANO10"
    assert order["invitation_ids"] == []
    assert order["paid_at"] is None
    assert order["items"] == [
        {
            "plan_id": plan.id,
            "plan_name": "Exclusive",
            "template_id": template.id,
            "template_name": "Noche Dorada",
            "invitation_id": None,
            "quantity": 2,
            "unit_price": "299.00",
            "line_total": "598.00",
        }
    ]
    ttl = timedelta(minutes=app.config["ORDER_TTL_MINUTES"])
    stored = db.session.scalar(select(Order))
    assert before + ttl <= stored.expires_at <= utcnow() + ttl
    assert stored.user_id == user.id
    assert fresh(type(coupon), coupon.id).used_count == 1
    usage = db.session.scalar(select(CouponUsage))
    assert (usage.order_id, usage.user_id, usage.discount_amount) == (
        stored.id,
        user.id,
        D("59.80"),
    )
    events = db.session.scalars(select(OrderEvent)).all()
    assert [(e.from_status, e.to_status, e.actor_user_id) for e in events] == [
        (None, "pending", user.id)
    ]


def test_later_price_changes_do_not_touch_an_order(client, make, auth_headers):
    user = make.user()
    plan, template = make.plan(price=D("149.00")), make.template(price=D("0.00"))
    number = checkout(client, auth_headers(user), line(plan, template)).get_json()["order_number"]

    plan.price = D("999.00")
    db.session.commit()

    order = client.get(f"/api/orders/{number}", headers=auth_headers(user)).get_json()
    assert order["total"] == "149.00"
    assert order["items"][0]["unit_price"] == "149.00"


def test_a_free_order_is_paid_at_checkout_and_provisions_its_invitations(
    client, make, auth_headers
):
    user = make.user()
    plan, template = make.plan(price=D("0.00")), make.template(price=D("0.00"))

    response = checkout(client, auth_headers(user), line(plan, template, 2))

    order = response.get_json()
    assert response.status_code == 201
    assert (order["status"], order["payment_status"], order["total"]) == ("paid", "paid", "0.00")
    assert order["paid_at"] is not None
    assert len(order["invitation_ids"]) == 2
    invitations = db.session.scalars(select(Invitation)).all()
    assert {(i.user_id, i.plan_id, i.template_id) for i in invitations} == {
        (user.id, plan.id, template.id)
    }
    events = db.session.scalars(select(OrderEvent).order_by(OrderEvent.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "pending"),
        ("pending", "paid"),
    ]


def test_a_full_discount_coupon_also_pays_at_checkout(client, make, auth_headers):
    user = make.user()
    plan, template = make.plan(price=D("149.00")), make.template()
    coupon = make.coupon(discount_type="percentage", discount_value=D("100"))

    order = checkout(
        client, auth_headers(user), line(plan, template), coupon_code=coupon.code
    ).get_json()

    assert (order["status"], order["total"], order["discount"]) == ("paid", "0.00", "149.00")
    assert len(order["invitation_ids"]) == 1


def test_checkout_can_pay_for_an_own_draft(client, make, auth_headers):
    user = make.user()
    plan, template = make.plan(price=D("0.00")), make.template()
    draft = make.invitation(user=user, template=template)

    response = checkout(client, auth_headers(user), line(plan, template, invitation_id=draft.id))

    order = response.get_json()
    assert response.status_code == 201, order
    assert order["items"][0]["invitation_id"] == draft.id
    assert order["invitation_ids"] == [draft.id]
    paid_draft = fresh(Invitation, draft.id)
    assert paid_draft.plan_id == plan.id
    assert paid_draft.order.order_number == order["order_number"]
    assert count(Invitation) == 1


@pytest.mark.parametrize("problem", ["someone_elses", "wrong_template", "quantity_two", "twice"])
def test_checkout_refuses_a_draft_it_cannot_pay_for(client, make, auth_headers, problem):
    user = make.user()
    plan, template = make.plan(), make.template()
    owner = make.user() if problem == "someone_elses" else user
    draft = make.invitation(user=owner, template=template)
    other_template = make.template()
    item = line(
        plan,
        other_template if problem == "wrong_template" else template,
        2 if problem == "quantity_two" else 1,
        invitation_id=draft.id,
    )
    lines = [item, item] if problem == "twice" else [item]

    response = checkout(client, auth_headers(user), *lines)

    assert response.status_code == 422
    index = 1 if problem == "twice" else 0
    assert f"items.{index}.invitation_id" in response.get_json()["details"]
    assert count(Order) == 0


@pytest.mark.parametrize("status", ["paid", "refunding"])
def test_checkout_refuses_a_draft_whose_payment_is_held(client, make, auth_headers, status):
    user = make.user()
    plan, template = make.plan(price=D("0.00")), make.template()
    draft = make.invitation(user=user, template=template)
    checkout(client, auth_headers(user), line(plan, template, invitation_id=draft.id))
    paid_for = fresh(Invitation, draft.id)
    paid_for.order.status = status
    db.session.commit()

    response = checkout(client, auth_headers(user), line(plan, template, invitation_id=draft.id))

    assert response.status_code == 422
    assert response.get_json()["details"]["items.0.invitation_id"] == [
        "This invitation is already paid for."
    ]
    assert count(Order) == 1


def test_checkout_order_numbers_are_unique_and_retried_on_collision(
    client, make, auth_headers, monkeypatch
):
    from services import orders

    user = make.user()
    plan, template = make.plan(), make.template()
    taken = checkout(client, auth_headers(user), line(plan, template)).get_json()["order_number"]
    numbers = iter([taken, taken, "ORD-20261128-ZZZZZZ"])
    monkeypatch.setattr(orders, "new_order_number", lambda: next(numbers))

    response = checkout(client, auth_headers(user), line(plan, template))

    assert response.status_code == 201
    assert response.get_json()["order_number"] == "ORD-20261128-ZZZZZZ"
    assert count(Order) == 2


def test_checkout_gives_up_with_503_when_every_number_collides(
    client, make, auth_headers, monkeypatch
):
    from services import orders

    user = make.user()
    plan, template = make.plan(), make.template()
    taken = checkout(client, auth_headers(user), line(plan, template)).get_json()["order_number"]
    monkeypatch.setattr(orders, "new_order_number", lambda: taken)

    response = checkout(client, auth_headers(user), line(plan, template))

    assert response.status_code == 503
    assert count(Order) == 1
