"""Izipay payments end to end against a local server speaking Izipay's protocol."""

import base64
import json
import logging
import re
import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import create_app
from extensions import db
from models.invitation import Invitation
from models.order import Order
from models.payment_transaction import PaymentTransaction
from tests.commerce_fixtures import count, fresh
from tests.conftest import IsolatedClient
from tests.payment_fixtures import form_token, paid_answer, pending_order, post_ipn
from utils.time import utcnow

# --- form token -------------------------------------------------------------------------------


def test_form_token_asks_the_gateway_for_the_exact_amount_in_centimos(
    shop, make, buyer, auth_headers, izipay_server
):
    headers = auth_headers(buyer)
    order = pending_order(shop, make, headers, quantity=2)

    response = form_token(shop, headers, order.order_number)

    assert response.status_code == 200
    body = response.get_json()
    assert body["amount"] == 35800  # 2 x (149.00 + 30.00)
    assert body["currency"] == "PEN"
    assert body["order_number"] == order.order_number
    assert body["public_key"] == izipay_server.public_key
    sent = izipay_server.last_request
    assert sent.path.endswith("/V4/Charge/CreatePayment")
    assert sent.body["amount"] == 35800
    assert sent.body["orderId"] == order.order_number
    assert sent.body["customer"]["email"] == "compradora@example.com"
    assert "ipnTargetUrl" not in sent.body
    expected_auth = base64.b64encode(f"{izipay_server.username}:{izipay_server.password}".encode())
    assert sent.headers["Authorization"] == f"Basic {expected_auth.decode()}"
    assert body["form_token"] == izipay_server.payment_for_order(order.order_number)["form_token"]


def test_form_token_sends_the_ipn_url_when_configured(
    shop_app, make, buyer, auth_headers, izipay_server
):
    shop_app.config["IZIPAY_IPN_URL"] = "https://api.invitaciones.pe/api/payments/izipay/ipn"
    shop = shop_app.test_client()
    order = pending_order(shop, make, auth_headers(buyer))

    form_token(shop, auth_headers(buyer), order.order_number)

    assert izipay_server.last_request.body["ipnTargetUrl"].endswith("/izipay/ipn")


def test_form_token_for_another_users_order_is_404(shop, make, buyer, auth_headers):
    order = pending_order(shop, make, auth_headers(buyer))
    stranger = make.user()
    assert form_token(shop, auth_headers(stranger), order.order_number).status_code == 404


def test_form_token_for_a_cancelled_order_is_409(shop, make, buyer, auth_headers):
    headers = auth_headers(buyer)
    order = pending_order(shop, make, headers)
    shop.post(f"/api/orders/{order.order_number}/cancel", headers=headers)

    response = form_token(shop, headers, order.order_number)

    assert response.status_code == 409
    assert response.get_json()["error"] == "invalid_state"


def test_payments_answer_503_when_izipay_is_not_configured(client, make, buyer, auth_headers):
    order = pending_order(client, make, auth_headers(buyer))

    token = form_token(client, auth_headers(buyer), order.order_number)
    ipn = post_ipn(client, {"kr-answer": "{}", "kr-hash": "x"})

    for response in (token, ipn):
        assert response.status_code == 503
        assert response.get_json()["error"] == "payments_not_configured"


@pytest.mark.parametrize(
    "misbehave, reason",
    [
        (lambda server: server.fail_next("INT_905", "invalid credentials"), "INT_905"),
        (lambda server: server.delay_next(3), "timeout"),
        (lambda server: server.crash_next(), "bad_response"),
        (lambda server: server.drop_next(), "unreachable"),
    ],
)
def test_gateway_failures_are_502_and_change_nothing(
    shop, make, buyer, auth_headers, izipay_server, misbehave, reason
):
    headers = auth_headers(buyer)
    order = pending_order(shop, make, headers)
    misbehave(izipay_server)

    response = form_token(shop, headers, order.order_number)

    assert response.status_code == 502
    body = response.get_json()
    assert body["error"] == "payment_gateway_error"
    assert reason in json.dumps(body["details"])
    assert fresh(Order, order.id).status == "pending"


# --- IPN --------------------------------------------------------------------------------------


def test_signed_paid_notification_pays_the_order_and_provisions_invitations(
    shop, make, buyer, auth_headers, izipay_server, caplog
):
    caplog.set_level(logging.INFO)
    headers = auth_headers(buyer)
    order = pending_order(shop, make, headers, quantity=2)
    form_token(shop, headers, order.order_number)
    answer = izipay_server.pay_order(order.order_number, detailed_status="CAPTURED")

    response = post_ipn(shop, izipay_server.signed_ipn_fields(answer))

    assert response.status_code == 200
    assert response.get_json()["outcome"] == "paid"
    paid = fresh(Order, order.id)
    assert (paid.status, paid.payment_status) == ("paid", "paid")
    assert paid.paid_at is not None
    assert count(Invitation, Invitation.order_id == order.id) == 2
    [payment] = db.session.scalars(select(PaymentTransaction)).all()
    assert (payment.status, payment.detailed_status, payment.amount) == ("PAID", "CAPTURED", 35800)
    assert payment.raw_answer == answer
    assert "Pago confirmado" in caplog.text
    metrics = shop.get("/metrics").get_data(as_text=True)
    assert 'payment_notifications_total{outcome="paid",source="ipn"}' in metrics
    shown = shop.get(f"/api/orders/{order.order_number}", headers=headers).get_json()
    assert shown["status"] == "paid" and len(shown["invitation_ids"]) == 2


def test_paid_notification_mails_the_buyer_once_the_payment_is_stored(
    shop_app, smtp_server, make, buyer, auth_headers, izipay_server
):
    shop_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    shop = shop_app.test_client()
    order = pending_order(shop, make, auth_headers(buyer))
    fields = izipay_server.signed_ipn_fields(paid_answer(izipay_server, order))

    assert post_ipn(shop, fields).get_json()["outcome"] == "paid"
    assert post_ipn(shop, fields).get_json()["outcome"] == "duplicate"

    [(_, recipients, message)] = smtp_server.messages
    assert recipients == ["compradora@example.com"]
    assert message["Subject"] == f"Pago confirmado - {order.order_number}"
    assert "S/ 179.00" in message.get_content()


def test_a_mail_server_down_does_not_undo_the_payment(
    shop_app, make, buyer, auth_headers, izipay_server, caplog
):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    shop_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port, MAIL_USE_TLS=False)
    shop = shop_app.test_client()
    order = pending_order(shop, make, auth_headers(buyer))

    response = post_ipn(shop, izipay_server.signed_ipn_fields(paid_answer(izipay_server, order)))

    assert response.status_code == 200 and response.get_json()["outcome"] == "paid"
    assert fresh(Order, order.id).status == "paid"
    assert re.search(r"Job send_email\[[^]]*\] failed for good", caplog.text)


def test_the_same_notification_five_times_pays_once(shop, make, buyer, auth_headers, izipay_server):
    order = pending_order(shop, make, auth_headers(buyer))
    fields = izipay_server.signed_ipn_fields(paid_answer(izipay_server, order))

    statuses = [post_ipn(shop, fields).status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert count(Invitation, Invitation.order_id == order.id) == 1
    [payment] = db.session.scalars(select(PaymentTransaction)).all()
    assert payment.times_received == 5
    assert count_events(order, "paid") == 1


def count_events(order, to_status):
    from models.order import OrderEvent

    return count(OrderEvent, OrderEvent.order_id == order.id, OrderEvent.to_status == to_status)


def test_two_identical_notifications_at_the_same_moment_pay_once(
    shop_app, make, buyer, auth_headers, izipay_server
):
    order = pending_order(shop_app.test_client(), make, auth_headers(buyer), quantity=3)
    fields = izipay_server.signed_ipn_fields(paid_answer(izipay_server, order))
    barrier = threading.Barrier(2)
    statuses = []

    def deliver():
        client = shop_app.test_client()
        barrier.wait()
        statuses.append(post_ipn(client, fields).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200, 200]
    assert count(Invitation, Invitation.order_id == order.id) == 3
    assert count(PaymentTransaction) == 1
    assert count_events(order, "paid") == 1


def test_wrong_signature_is_401_and_changes_nothing(shop, make, buyer, auth_headers, izipay_server):
    order = pending_order(shop, make, auth_headers(buyer))
    fields = izipay_server.signed_ipn_fields(paid_answer(izipay_server, order))
    fields["kr-hash"] = "0" * 64

    response = post_ipn(shop, fields)

    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_signature"
    assert fresh(Order, order.id).status == "pending"
    assert count(PaymentTransaction) == 0


def test_tampered_amount_breaks_the_signature(shop, make, buyer, auth_headers, izipay_server):
    order = pending_order(shop, make, auth_headers(buyer))
    fields = izipay_server.signed_ipn_fields(paid_answer(izipay_server, order, amount=100))
    fields["kr-answer"] = fields["kr-answer"].replace(
        '"orderTotalAmount":100', '"orderTotalAmount":17900'
    )

    assert post_ipn(shop, fields).status_code == 401
    assert fresh(Order, order.id).status == "pending"


def test_notification_signed_with_the_browser_key_is_refused(
    shop, make, buyer, auth_headers, izipay_server
):
    order = pending_order(shop, make, auth_headers(buyer))
    fields = izipay_server.signed_browser_fields(paid_answer(izipay_server, order))

    response = post_ipn(shop, fields)

    assert response.status_code == 401
    assert count(PaymentTransaction) == 0


def test_notification_with_another_algorithm_is_refused(
    shop, make, buyer, auth_headers, izipay_server
):
    order = pending_order(shop, make, auth_headers(buyer))
    fields = izipay_server.signed_ipn_fields(paid_answer(izipay_server, order))
    fields["kr-hash-algorithm"] = "sha1_hmac"
    assert post_ipn(shop, fields).status_code == 401


@pytest.mark.parametrize("missing", ["kr-answer", "kr-hash"])
def test_notification_without_answer_or_hash_is_400(shop, izipay_server, missing):
    fields = izipay_server.signed_ipn_fields(
        izipay_server.build_payment_answer(order_id="X", amount=1)
    )
    del fields[missing]

    response = post_ipn(shop, fields)

    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_signed_answer_that_is_not_json_is_400(shop, izipay_server):
    response = post_ipn(shop, izipay_server.signed_ipn_fields("this is not json"))
    assert response.status_code == 400


def _hostile_answer(kind: str) -> str:
    """A kr-answer that parses badly or holds what no column can store (written by hand:
    json.dumps itself refuses some of these)."""
    amount, extra = "100", ""
    if kind == "nested_10000_deep":
        extra = ',"metadata":' + "[" * 10_000 + "]" * 10_000
    elif kind == "amount_of_5001_digits":
        amount = "1" + "0" * 5000  # 10**5000
    elif kind == "amount_of_4000_digits":
        amount = "9" * 4000
    elif kind == "amount_beyond_32_bits":
        amount = str(2**40)
    elif kind == "negative_amount":
        amount = "-100"
    elif kind == "uuid_of_65_characters":
        extra = ',"transactions":[{"uuid":"' + "a" * 65 + '","status":"PAID"}]'
    order = f'"orderTotalAmount":{amount},"orderCurrency":"PEN","orderId":"ORD-20261128-AAAAAA"'
    return f'{{"orderStatus":"PAID","orderDetails":{{{order},"mode":"TEST"}}{extra}}}'


HOSTILE_ANSWERS = [
    "nested_10000_deep",
    "amount_of_5001_digits",
    "amount_of_4000_digits",
    "amount_beyond_32_bits",
    "negative_amount",
    "uuid_of_65_characters",
]


@pytest.mark.parametrize("kind", HOSTILE_ANSWERS)
def test_signed_hostile_notification_is_400_without_a_traceback(shop, izipay_server, caplog, kind):
    caplog.set_level(logging.INFO)

    response = post_ipn(shop, izipay_server.signed_ipn_fields(_hostile_answer(kind)))

    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"] == "bad_request"
    assert [record.getMessage() for record in caplog.records if record.exc_info] == []
    assert count(PaymentTransaction) == 0


@pytest.mark.parametrize("kind", HOSTILE_ANSWERS)
def test_signed_hostile_browser_return_is_400_without_a_traceback(
    shop, make, buyer, auth_headers, izipay_server, caplog, kind
):
    caplog.set_level(logging.INFO)

    response = shop.post(
        "/api/payments/izipay/verify",
        json=izipay_server.signed_browser_fields(_hostile_answer(kind)),
        headers=auth_headers(buyer),
    )

    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"] == "bad_request"
    assert [record.getMessage() for record in caplog.records if record.exc_info] == []
    assert count(PaymentTransaction) == 0


def test_unpaid_notification_leaves_the_order_pending_for_a_retry(
    shop, make, buyer, auth_headers, izipay_server
):
    order = pending_order(shop, make, auth_headers(buyer))
    refused = paid_answer(
        izipay_server,
        order,
        order_status="UNPAID",
        detailed_status="REFUSED",
        transaction_uuid="b" * 32,
    )

    response = post_ipn(shop, izipay_server.signed_ipn_fields(refused))

    assert response.status_code == 200
    assert fresh(Order, order.id).status == "pending"
    assert count(PaymentTransaction) == 1

    post_ipn(shop, izipay_server.signed_ipn_fields(paid_answer(izipay_server, order)))
    assert fresh(Order, order.id).status == "paid"


def test_unpaid_after_paid_never_downgrades_the_order(
    shop, make, buyer, auth_headers, izipay_server
):
    order = pending_order(shop, make, auth_headers(buyer))
    post_ipn(shop, izipay_server.signed_ipn_fields(paid_answer(izipay_server, order)))
    late_refusal = paid_answer(
        izipay_server,
        order,
        order_status="UNPAID",
        detailed_status="REFUSED",
        transaction_uuid="c" * 32,
    )

    response = post_ipn(shop, izipay_server.signed_ipn_fields(late_refusal))

    assert response.status_code == 200
    paid = fresh(Order, order.id)
    assert (paid.status, paid.payment_status) == ("paid", "paid")
    assert count(PaymentTransaction) == 2


def test_capture_after_authorisation_of_the_same_payment_is_not_flagged(
    shop, make, buyer, auth_headers, izipay_server
):
    order = pending_order(shop, make, auth_headers(buyer))
    for detailed_status in ("AUTHORISED", "CAPTURED"):
        answer = paid_answer(izipay_server, order, detailed_status=detailed_status)
        assert post_ipn(shop, izipay_server.signed_ipn_fields(answer)).status_code == 200

    assert fresh(Order, order.id).status == "paid"
    assert count(PaymentTransaction, PaymentTransaction.flagged.is_(True)) == 0
    assert count(PaymentTransaction) == 2


@pytest.mark.parametrize(
    "change, reason",
    [({"amount": 100}, "amount_mismatch"), ({"currency": "USD"}, "currency_mismatch")],
)
def test_mismatched_payment_is_recorded_and_flagged_but_does_not_pay(
    shop, make, buyer, auth_headers, izipay_server, caplog, change, reason
):
    order = pending_order(shop, make, auth_headers(buyer))

    response = post_ipn(
        shop, izipay_server.signed_ipn_fields(paid_answer(izipay_server, order, **change))
    )

    assert response.status_code == 200
    assert fresh(Order, order.id).status == "pending"
    [payment] = db.session.scalars(select(PaymentTransaction)).all()
    assert payment.flagged and payment.flag_reason == reason
    assert any(r.levelname == "ERROR" and reason in r.getMessage() for r in caplog.records)


def test_a_second_payment_for_a_paid_order_is_flagged_for_a_refund(
    shop, make, buyer, auth_headers, izipay_server
):
    order = pending_order(shop, make, auth_headers(buyer))
    post_ipn(shop, izipay_server.signed_ipn_fields(paid_answer(izipay_server, order)))
    second = paid_answer(izipay_server, order, transaction_uuid="d" * 32)

    post_ipn(shop, izipay_server.signed_ipn_fields(second))

    flagged = db.session.scalar(select(PaymentTransaction).where(PaymentTransaction.flagged))
    assert flagged.flag_reason == "paid_while_paid"
    assert count(Invitation, Invitation.order_id == order.id) == 1


def test_notification_for_an_unknown_order_is_recorded_and_acknowledged(shop, izipay_server):
    answer = izipay_server.build_payment_answer(
        order_id="ORD-20990101-NOPE00", amount=1000, transaction_uuid="e" * 32
    )

    response = post_ipn(shop, izipay_server.signed_ipn_fields(answer))

    assert response.status_code == 200
    assert response.get_json()["outcome"] == "unknown_order"
    [payment] = db.session.scalars(select(PaymentTransaction)).all()
    assert payment.order_id is None and payment.order_number == "ORD-20990101-NOPE00"


def test_production_shop_does_not_accept_test_payments(
    database_url, make, buyer, auth_headers, izipay_server
):
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            **izipay_server.config,
            "IZIPAY_PASSWORD": "prodpassword_LOCALKEY",
        },
    )
    app.test_client_class = IsolatedClient
    shop = app.test_client()
    order = pending_order(shop, make, auth_headers(buyer))
    answer = paid_answer(izipay_server, order, mode="TEST")

    response = post_ipn(
        shop, izipay_server.signed_ipn_fields(answer, password="prodpassword_LOCALKEY")
    )

    assert response.status_code == 200
    assert fresh(Order, order.id).status == "pending"
    assert db.session.scalar(select(PaymentTransaction)).flag_reason == "test_payment_in_production"


def test_database_failure_answers_5xx_so_the_gateway_retries(tmp_path, izipay_server):
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/db.sqlite",
            **izipay_server.config,
        },
    )
    answer = izipay_server.build_payment_answer(
        order_id="ORD-X", amount=1000, transaction_uuid="f" * 32
    )

    response = app.test_client().post(
        "/api/payments/izipay/ipn", data=izipay_server.signed_ipn_fields(answer)
    )

    assert response.status_code >= 500


# --- browser return ---------------------------------------------------------------------------


def test_browser_return_signed_with_the_hmac_key_pays_and_returns_the_order(
    shop, make, buyer, auth_headers, izipay_server
):
    headers = auth_headers(buyer)
    order = pending_order(shop, make, headers)
    fields = izipay_server.signed_browser_fields(paid_answer(izipay_server, order))

    response = shop.post("/api/payments/izipay/verify", json=fields, headers=headers)

    assert response.status_code == 200
    assert response.get_json()["status"] == "paid"
    assert response.get_json()["order_number"] == order.order_number
    again = shop.post(
        "/api/payments/izipay/verify",
        json={"kr-answer": fields["kr-answer"], "kr-hash": fields["kr-hash"]},
        headers=headers,
    )
    assert again.status_code == 200
    assert count(Invitation, Invitation.order_id == order.id) == 1


def test_browser_return_signed_with_the_password_is_refused(
    shop, make, buyer, auth_headers, izipay_server
):
    headers = auth_headers(buyer)
    order = pending_order(shop, make, headers)
    fields = izipay_server.signed_ipn_fields(paid_answer(izipay_server, order))

    response = shop.post("/api/payments/izipay/verify", json=fields, headers=headers)

    assert response.status_code == 401
    assert fresh(Order, order.id).status == "pending"


def test_browser_return_and_ipn_for_the_same_payment_pay_once(
    shop, make, buyer, auth_headers, izipay_server
):
    headers = auth_headers(buyer)
    order = pending_order(shop, make, headers)
    answer = paid_answer(izipay_server, order)

    shop.post(
        "/api/payments/izipay/verify",
        json=izipay_server.signed_browser_fields(answer),
        headers=headers,
    )
    post_ipn(shop, izipay_server.signed_ipn_fields(answer))

    assert count(PaymentTransaction) == 1
    assert count(Invitation, Invitation.order_id == order.id) == 1


# --- health -----------------------------------------------------------------------------------


def test_payments_health_when_not_configured(client):
    response = client.get("/api/payments/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "configured": False, "mode": None}


def test_payments_health_reports_mode_and_a_deep_check(shop, izipay_server):
    shallow = shop.get("/api/payments/health")
    deep = shop.get("/api/payments/health?deep=1")
    izipay_server.crash_next()
    broken = shop.get("/api/payments/health?deep=1")

    assert shallow.status_code == 200
    assert shallow.get_json() == {"status": "ok", "configured": True, "mode": "TEST"}
    assert deep.get_json()["gateway"] == "ok"
    assert izipay_server.last_request.path.endswith("/V4/Charge/SDKTest")
    assert broken.status_code == 503
    assert broken.get_json()["gateway"] == "error"


def test_payment_for_an_order_already_expired_is_flagged_not_applied(
    shop, make, buyer, auth_headers, izipay_server, runner
):
    order = pending_order(shop, make, auth_headers(buyer))
    db.session.execute(
        update(Order).where(Order.id == order.id).values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    runner.invoke(args=["orders", "expire"])

    response = post_ipn(shop, izipay_server.signed_ipn_fields(paid_answer(izipay_server, order)))

    assert response.status_code == 200
    assert fresh(Order, order.id).status == "expired"
    assert db.session.scalar(select(PaymentTransaction)).flag_reason == "paid_while_expired"
    assert count(Invitation, Invitation.order_id == order.id) == 0
