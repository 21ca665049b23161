"""Checkout with an Idempotency-Key: a double tap or a retry on a flaky network never makes a
second order (the mechanism the RSVP uses: services/idempotency.py)."""

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from extensions import db
from models.coupon import Coupon, CouponUsage
from models.idempotency_key import IdempotencyKey
from models.order import Order
from tests.commerce_fixtures import cart, count, line
from utils.time import utcnow

THREADS = 10


@pytest.fixture
def shop(make):
    return make.plan(price=Decimal("149.00")), make.template()


def pay(client, headers, body, key):
    return client.post("/api/cart/checkout", json=body,
                       headers={**headers, "Idempotency-Key": key})  # fmt: skip


def test_a_repeated_checkout_answers_the_first_order_again(client, headers, shop):
    body = cart(line(*shop))
    first = pay(client, headers, body, "pagar-1")
    again = pay(client, headers, body, "pagar-1")

    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(Order) == 1


def test_another_body_under_the_same_key_is_422(client, headers, shop):
    pay(client, headers, cart(line(*shop)), "pagar-2")
    other = pay(client, headers, cart(line(*shop, quantity=2)), "pagar-2")
    assert other.status_code == 422
    assert other.get_json()["error"] == "idempotency_key_reused"
    assert count(Order) == 1


def test_keys_belong_to_their_user(client, make, auth_headers, headers, shop):
    body = cart(line(*shop))
    assert pay(client, headers, body, "mismo").status_code == 201
    stranger = pay(client, auth_headers(make.user()), body, "mismo")
    assert stranger.status_code == 201
    assert "Idempotent-Replayed" not in stranger.headers
    assert count(Order) == 2


def test_without_a_key_every_checkout_is_a_new_order(client, headers, shop):
    body = cart(line(*shop))
    client.post("/api/cart/checkout", json=body, headers=headers)
    client.post("/api/cart/checkout", json=body, headers=headers)
    assert count(Order) == 2


def test_a_refused_checkout_is_replayed_as_refused(client, headers, shop):
    body = cart(line(*shop), coupon_code="NOEXISTE")
    first = pay(client, headers, body, "cupon")
    again = pay(client, headers, body, "cupon")
    assert first.status_code == again.status_code == 422
    assert again.get_json() == first.get_json()


def test_a_key_is_forgotten_after_a_day(client, headers, shop):
    body = cart(line(*shop))
    pay(client, headers, body, "ayer")
    db.session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    assert "Idempotent-Replayed" not in pay(client, headers, body, "ayer").headers
    assert count(Order) == 2


def test_an_anonymous_checkout_is_401_before_the_key_is_read(client, shop):
    response = client.post("/api/cart/checkout", json=cart(line(*shop)),
                           headers={"Idempotency-Key": "x"})  # fmt: skip
    assert response.status_code == 401
    assert count(IdempotencyKey) == 0


def test_ten_simultaneous_checkouts_with_one_key_make_one_order_and_one_coupon_use(
    app, make, auth_headers, shop
):
    coupon = make.coupon(code="BODA10", discount_value=Decimal("10"))
    headers = {**auth_headers(make.user()), "Idempotency-Key": "doble-toque"}
    body = cart(line(*shop), coupon_code="boda10")
    db.session.rollback()
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def tap(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/cart/checkout", json=body, headers=headers)
        results[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=tap, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    outcomes = Counter(status for status, _body in results)
    assert set(outcomes) <= {201, 409}, results
    assert outcomes[201] >= 1
    order_numbers = {body["order_number"] for status, body in results if status == 201}
    assert len(order_numbers) == 1
    assert count(Order) == 1
    assert count(CouponUsage) == 1
    db.session.rollback()
    assert db.session.scalar(select(Coupon.used_count).where(Coupon.id == coupon.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
