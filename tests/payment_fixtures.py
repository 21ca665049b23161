"""Fixtures and helpers of the payment tests: an app wired to the local Izipay server."""

import contextvars
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import create_app
from extensions import db
from models.order import Order
from tests.commerce_fixtures import checkout, fresh, line
from tests.conftest import IsolatedClient


@pytest.fixture
def shop_app(database_url, izipay_server):
    """The app configured with Izipay credentials that point at the local gateway."""
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "IZIPAY_TIMEOUT_SECONDS": 1.0,
            **izipay_server.config,
        },
    )
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def shop(shop_app):
    return shop_app.test_client()


@pytest.fixture
def buyer(make):
    return make.user(email="compradora@example.com", first_name="Carla")


def pending_order(shop, make, headers, *, price="149.00", quantity=1) -> Order:
    plan = make.plan(price=Decimal(price))
    template = make.template(price=Decimal("30.00"))
    response = checkout(shop, headers, line(plan, template, quantity))
    assert response.status_code == 201, response.get_json()
    return db.session.scalar(
        select(Order).where(Order.order_number == response.get_json()["order_number"])
    )


def form_token(shop, headers, order_number):
    return shop.post(
        "/api/payments/izipay/form-token", json={"order_number": order_number}, headers=headers
    )


def post_ipn(shop, fields):
    return shop.post("/api/payments/izipay/ipn", data=fields)


def paid_answer(izipay_server, order, **fields):
    """What the gateway posts once the buyer has paid `order` in full."""
    values = {
        "order_id": order.order_number,
        "amount": int(order.total * 100),
        "currency": "PEN",
        "order_status": "PAID",
        "detailed_status": "CAPTURED",
        "transaction_uuid": "a" * 32,
        **fields,
    }
    return izipay_server.build_payment_answer(**values)


def paid_order(shop, make, buyer_headers, izipay_server, detailed_status="CAPTURED") -> Order:
    """A pending order paid by a signed IPN, its transaction known to the local gateway."""
    order = pending_order(shop, make, buyer_headers)
    answer = paid_answer(izipay_server, order, detailed_status=detailed_status)
    izipay_server.add_transaction(
        "a" * 32, order.order_number, int(order.total * 100), "PEN", detailed_status
    )
    assert post_ipn(shop, izipay_server.signed_ipn_fields(answer)).status_code == 200
    return fresh(Order, order.id)


def run_cli(app, args):
    """Run a `flask` command of `app` in its own context, not the test's (another app's)."""
    return contextvars.Context().run(app.test_cli_runner().invoke, args=args)
