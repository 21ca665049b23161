"""Admins see orders with their payments, and refund paid ones through Izipay."""

import contextvars
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from extensions import db
from models.invitation import Invitation
from models.order import Order
from models.payment_transaction import PaymentTransaction
from tests.commerce_fixtures import count, fresh
from tests.payment_fixtures import paid_answer, pending_order, post_ipn


def run_cli(app, args):
    """Run a `flask` command of `app` in its own context, not the test's (another app's)."""
    return contextvars.Context().run(app.test_cli_runner().invoke, args=args)


@pytest.fixture
def admin(make):
    return make.user(role="admin", email="admin@example.com")


def paid_order(shop, make, buyer_headers, izipay_server, detailed_status="CAPTURED") -> Order:
    order = pending_order(shop, make, buyer_headers)
    answer = paid_answer(izipay_server, order, detailed_status=detailed_status)
    izipay_server.add_transaction(
        "a" * 32, order.order_number, int(order.total * 100), "PEN", detailed_status
    )
    assert post_ipn(shop, izipay_server.signed_ipn_fields(answer)).status_code == 200
    return fresh(Order, order.id)


def refund(shop, headers, order_number, **body):
    return shop.post(f"/api/admin/orders/{order_number}/refund", json=body, headers=headers)


def test_refund_of_a_captured_payment_refunds_and_takes_invitations_down(
    shop, make, buyer, admin, auth_headers, izipay_server
):
    order = paid_order(shop, make, auth_headers(buyer), izipay_server)
    invitation = db.session.scalar(select(Invitation).where(Invitation.order_id == order.id))
    invitation.is_published = True
    db.session.commit()

    response = refund(shop, auth_headers(admin), order.order_number, comment="cliente desistió")

    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["payment_status"]) == (
        "refunded",
        "refunded",
    )
    sent = izipay_server.last_request
    assert sent.path.endswith("/V4/Transaction/CancelOrRefund")
    assert sent.body["resolutionMode"] == "REFUND_ONLY"
    assert sent.body["amount"] == int(order.total * 100)
    assert fresh(Invitation, invitation.id).is_published is False
    refund_row = db.session.scalar(
        select(PaymentTransaction).where(PaymentTransaction.kind == "refund")
    )
    assert refund_row.order_id == order.id and refund_row.processed


def test_refund_of_an_authorised_payment_cancels_it(
    shop, make, buyer, admin, auth_headers, izipay_server
):
    order = paid_order(shop, make, auth_headers(buyer), izipay_server, detailed_status="AUTHORISED")

    response = refund(shop, auth_headers(admin), order.order_number)

    assert response.status_code == 200
    assert izipay_server.last_request.body["resolutionMode"] == "CANCELLATION_ONLY"
    assert fresh(Order, order.id).status == "refunded"


def test_refund_refused_by_the_gateway_is_502_and_changes_nothing(
    shop, make, buyer, admin, auth_headers, izipay_server
):
    order = paid_order(shop, make, auth_headers(buyer), izipay_server)
    izipay_server.fail_next("PSP_100", "operation not allowed", times=2)

    response = refund(shop, auth_headers(admin), order.order_number)

    assert response.status_code == 502
    assert response.get_json()["error"] == "payment_gateway_error"
    assert fresh(Order, order.id).status == "paid"
    assert count(PaymentTransaction, PaymentTransaction.kind == "refund") == 0


def test_only_paid_orders_can_be_refunded(shop, make, buyer, admin, auth_headers):
    order = pending_order(shop, make, auth_headers(buyer))
    response = refund(shop, auth_headers(admin), order.order_number)
    assert response.status_code == 409
    assert response.get_json()["error"] == "invalid_state"


def test_refunding_twice_is_invalid_state(shop, make, buyer, admin, auth_headers, izipay_server):
    order = paid_order(shop, make, auth_headers(buyer), izipay_server)
    assert refund(shop, auth_headers(admin), order.order_number).status_code == 200
    assert refund(shop, auth_headers(admin), order.order_number).status_code == 409


def test_customers_cannot_refund(shop, make, buyer, auth_headers, izipay_server):
    order = paid_order(shop, make, auth_headers(buyer), izipay_server)
    assert refund(shop, auth_headers(buyer), order.order_number).status_code == 403
    assert fresh(Order, order.id).status == "paid"


def test_admin_order_detail_shows_history_and_payments(
    shop, make, buyer, admin, auth_headers, izipay_server
):
    order = paid_order(shop, make, auth_headers(buyer), izipay_server)

    body = shop.get(
        f"/api/admin/orders/{order.order_number}", headers=auth_headers(admin)
    ).get_json()

    assert body["user_email"] == "compradora@example.com"
    assert [event["to_status"] for event in body["events"]] == ["pending", "paid"]
    [payment] = body["payment_transactions"]
    assert (payment["status"], payment["detailed_status"], payment["processed"]) == (
        "PAID",
        "CAPTURED",
        True,
    )


def test_admin_order_list_filters(shop, make, buyer, admin, auth_headers, izipay_server):
    paid = paid_order(shop, make, auth_headers(buyer), izipay_server)
    pending = pending_order(shop, make, auth_headers(make.user(email="otro@example.com")))
    headers = auth_headers(admin)

    def numbers(query):
        body = shop.get(f"/api/admin/orders?{query}", headers=headers).get_json()
        return [item["order_number"] for item in body["items"]]

    assert numbers("") == [pending.order_number, paid.order_number]
    assert numbers("status=paid") == [paid.order_number]
    assert numbers("q=OTRO@") == [pending.order_number]
    assert numbers(f"q={paid.order_number[-6:].lower()}") == [paid.order_number]
    assert numbers("date_from=2000-01-01&date_to=2000-01-02") == []
    bad = shop.get("/api/admin/orders?date_from=2026-02-02&date_to=2026-02-01", headers=headers)
    assert bad.status_code == 422 and "date_to" in bad.get_json()["details"]


def test_simulate_ipn_command_pays_an_order_through_the_running_app(
    shop_app, make, buyer, auth_headers
):
    order = pending_order(shop_app.test_client(), make, auth_headers(buyer))
    server = make_server("127.0.0.1", 0, shop_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = run_cli(
            shop_app,
            [
                "izipay",
                "simulate-ipn",
                order.order_number,
                "--url",
                f"http://127.0.0.1:{server.server_port}",
            ],
        )
    finally:
        server.shutdown()
        server.server_close()

    assert result.exit_code == 0, result.output
    assert '200 {"outcome":"paid"' in result.output
    assert fresh(Order, order.id).status == "paid"


def test_simulate_ipn_refuses_production_keys(shop_app, make, buyer, auth_headers):
    order = pending_order(shop_app.test_client(), make, auth_headers(buyer))
    shop_app.config["IZIPAY_PASSWORD"] = "prodpassword_REAL"

    result = run_cli(shop_app, ["izipay", "simulate-ipn", order.order_number])

    assert result.exit_code != 0
    assert "TEST password" in result.output
