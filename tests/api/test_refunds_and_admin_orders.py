"""Admins see orders with their payments, and refund paid ones through Izipay."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from extensions import db
from models.audit_log import AuditLog
from models.invitation import Invitation
from models.order import Order, OrderEvent
from models.payment_transaction import PaymentTransaction
from services import orders
from tests.commerce_fixtures import checkout, count, fresh, line
from tests.payment_fixtures import paid_order, pending_order, run_cli
from utils.time import utcnow

REFUND_SERVICE = "Transaction/CancelOrRefund"


def history(order) -> list[tuple[str, str]]:
    """(to_status, reason) of each change of the order, oldest first."""
    db.session.rollback()
    query = select(OrderEvent.to_status, OrderEvent.reason).where(OrderEvent.order_id == order.id)
    return [tuple(row) for row in db.session.execute(query.order_by(OrderEvent.id))]


def audit_rows(order) -> list[AuditLog]:
    db.session.rollback()
    query = select(AuditLog).where(
        AuditLog.entity_type == "order", AuditLog.entity_id == str(order.id)
    )
    return db.session.scalars(query.order_by(AuditLog.id)).all()


@pytest.fixture
def admin(make):
    return make.user(role="admin", email="admin@example.com")


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
    assert [(row.action, row.changes.get("status")) for row in audit_rows(order)] == [
        ("order.refund_request", ["paid", "refunding"]),
        ("order.refund", ["refunding", "refunded"]),
    ]
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


def test_refund_refused_by_the_gateway_is_502_and_gives_the_order_back(
    shop, make, buyer, admin, auth_headers, izipay_server
):
    order = paid_order(shop, make, auth_headers(buyer), izipay_server)
    izipay_server.fail_next("PSP_100", "operation not allowed", service=REFUND_SERVICE)

    response = refund(shop, auth_headers(admin), order.order_number)

    assert response.status_code == 502
    assert response.get_json()["error"] == "payment_gateway_error"
    after = fresh(Order, order.id)
    assert (after.status, after.payment_status, after.paid_at) == ("paid", "paid", order.paid_at)
    assert count(PaymentTransaction, PaymentTransaction.kind == "refund") == 0
    assert history(order)[-2:] == [
        ("refunding", "refund requested"),
        ("paid", "refund not made: PSP_100"),
    ]
    # Given back, it can be refunded once the gateway agrees.
    assert refund(shop, auth_headers(admin), order.order_number).status_code == 200


def test_refund_whose_transaction_cannot_be_read_is_502_and_gives_the_order_back(
    shop, make, buyer, admin, auth_headers, izipay_server
):
    order = paid_order(shop, make, auth_headers(buyer), izipay_server)
    izipay_server.crash_next()  # Transaction/Get, before anything could move money

    response = refund(shop, auth_headers(admin), order.order_number)

    assert response.status_code == 502
    assert fresh(Order, order.id).status == "paid"
    assert izipay_server.requests_to(REFUND_SERVICE) == []
    assert history(order)[-1] == ("paid", "refund not made: bad_response")


def test_refund_without_gateway_keys_is_503_and_leaves_the_order_paid(
    shop_app, make, buyer, admin, auth_headers, izipay_server
):
    shop = shop_app.test_client()
    order = paid_order(shop, make, auth_headers(buyer), izipay_server)
    shop_app.config["IZIPAY_PASSWORD"] = None

    response = refund(shop, auth_headers(admin), order.order_number)

    assert response.status_code == 503
    assert response.get_json()["error"] == "payments_not_configured"
    assert fresh(Order, order.id).status == "paid"


def test_refund_of_a_free_order_calls_no_gateway(shop, make, buyer, admin, auth_headers):
    plan, template = make.plan(price=Decimal("0.00")), make.template(price=Decimal("0.00"))
    number = checkout(shop, auth_headers(buyer), line(plan, template)).get_json()["order_number"]

    response = refund(shop, auth_headers(admin), number)

    assert response.status_code == 200
    assert response.get_json()["status"] == "refunded"
    assert count(PaymentTransaction) == 0


def test_refund_whose_answer_never_comes_stays_refunding_until_reconciled(
    shop_app, make, buyer, admin, auth_headers, izipay_server
):
    shop = shop_app.test_client()
    order = paid_order(shop, make, auth_headers(buyer), izipay_server)
    invitation = db.session.scalar(select(Invitation).where(Invitation.order_id == order.id))
    invitation.is_published = True
    db.session.commit()
    # The gateway refunds, but only after our client (1 s timeout) has given up.
    izipay_server.delay_next(1.5, service=REFUND_SERVICE)

    response = refund(shop, auth_headers(admin), order.order_number)

    assert response.status_code == 502
    assert response.get_json()["details"]["order_status"] == "refunding"
    assert fresh(Order, order.id).status == "refunding"
    again = refund(shop, auth_headers(admin), order.order_number)
    assert again.status_code == 409 and "refunding" in again.get_json()["message"]
    _wait_for_credit_at_gateway(izipay_server, order.order_number)

    result = run_cli(shop_app, ["orders", "reconcile-refunds", "--older-than-minutes", "0"])

    assert result.exit_code == 0, result.output
    assert "1 refunded, 0 back to paid, 0 left" in result.output
    assert fresh(Order, order.id).status == "refunded"
    assert len(izipay_server.requests_to(REFUND_SERVICE)) == 1
    refund_row = db.session.scalar(
        select(PaymentTransaction).where(PaymentTransaction.kind == "refund")
    )
    assert refund_row.processed and refund_row.amount == int(order.total * 100)
    assert fresh(Invitation, invitation.id).is_published is False
    assert history(order)[-1] == ("refunded", "reconciled: refund found at the gateway")


def _wait_for_credit_at_gateway(izipay_server, order_number: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(
            t["operationType"] == "CREDIT" and t["orderDetails"]["orderId"] == order_number
            for t in list(izipay_server.transactions.values())
        ):
            return
        time.sleep(0.05)
    raise AssertionError("the gateway never made the refund")


def _claim_as_a_crashed_refund(order, admin) -> None:
    """What a worker that died right after claiming the order leaves behind."""
    orders.transition_order(
        fresh(Order, order.id), "refunding", reason="refund requested", actor_id=admin.id
    )
    db.session.commit()


def test_reconcile_gives_back_an_order_whose_refund_never_reached_the_gateway(
    shop_app, make, buyer, admin, auth_headers, izipay_server
):
    order = paid_order(shop_app.test_client(), make, auth_headers(buyer), izipay_server)
    _claim_as_a_crashed_refund(order, admin)

    result = run_cli(shop_app, ["orders", "reconcile-refunds", "--older-than-minutes", "0"])

    assert result.exit_code == 0, result.output
    assert "0 refunded, 1 back to paid" in result.output
    assert fresh(Order, order.id).status == "paid"
    assert izipay_server.requests_to(REFUND_SERVICE) == []
    assert history(order)[-1] == ("paid", "reconciled: the gateway shows no refund")


def test_reconcile_finds_a_cancelled_authorisation(
    shop_app, make, buyer, admin, auth_headers, izipay_server
):
    order = paid_order(
        shop_app.test_client(), make, auth_headers(buyer), izipay_server, "AUTHORISED"
    )
    _claim_as_a_crashed_refund(order, admin)
    izipay_server.transactions["a" * 32]["detailedStatus"] = "CANCELLED"

    result = run_cli(shop_app, ["orders", "reconcile-refunds", "--older-than-minutes", "0"])

    assert "1 refunded" in result.output
    assert fresh(Order, order.id).status == "refunded"


def _age_order(order, minutes: int) -> None:
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(updated_at=utcnow() - timedelta(minutes=minutes))
    )
    db.session.commit()


def test_reconcile_waits_10_minutes_after_the_claim(
    shop_app, make, buyer, admin, auth_headers, izipay_server
):
    order = paid_order(shop_app.test_client(), make, auth_headers(buyer), izipay_server)
    _age_order(order, 24 * 60)  # paid yesterday
    _claim_as_a_crashed_refund(order, admin)  # claimed just now

    young = run_cli(shop_app, ["orders", "reconcile-refunds"])

    assert "0 refunded, 0 back to paid, 0 left" in young.output
    assert fresh(Order, order.id).status == "refunding"
    assert izipay_server.received == []

    _age_order(order, 11)
    old = run_cli(shop_app, ["orders", "reconcile-refunds"])

    assert "0 refunded, 1 back to paid" in old.output
    assert fresh(Order, order.id).status == "paid"


def test_reconcile_keeps_an_order_the_gateway_cannot_report_on(
    shop_app, make, buyer, admin, auth_headers, izipay_server
):
    order = paid_order(shop_app.test_client(), make, auth_headers(buyer), izipay_server)
    _claim_as_a_crashed_refund(order, admin)
    izipay_server.drop_next()

    result = run_cli(shop_app, ["orders", "reconcile-refunds", "--older-than-minutes", "0"])

    assert result.exit_code == 1
    assert "0 refunded, 0 back to paid, 1 left for the next run" in result.output
    assert fresh(Order, order.id).status == "refunding"


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
