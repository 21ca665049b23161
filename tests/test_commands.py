"""The operator's and the developer's `flask` commands."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from extensions import db
from models.auth_token import RevokedToken
from models.order import Order
from models.payment_transaction import PaymentTransaction
from models.user import User
from tests.commerce_fixtures import count as count_rows
from tests.commerce_fixtures import fresh
from tests.izipay_server import HMAC_KEY, PASSWORD, PUBLIC_KEY, USERNAME
from tests.payment_fixtures import pending_order, run_cli
from tests.servers import free_port
from utils.media import local_app_url
from utils.passwords import check_password
from utils.time import utcnow

ROOT = Path(__file__).resolve().parent.parent


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_admin_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["create-admin", "jefe@example.com"], input="jefe12345\njefe12345\n"
    )

    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.email == "jefe@example.com"))
    assert admin.is_admin
    assert check_password("jefe12345", admin.password_hash)


def test_create_admin_refuses_weak_passwords_and_existing_emails(runner, make):
    make.user(email="ya@example.com")
    weak = runner.invoke(args=["create-admin", "otro@example.com"], input="corta\ncorta\n")
    taken = runner.invoke(args=["create-admin", "ya@example.com"], input="clave1234\nclave1234\n")

    assert weak.exit_code != 0 and "at least 8" in weak.output
    assert taken.exit_code != 0 and "already exists" in taken.output


def test_tokens_purge_removes_only_expired_revocations(runner, make):
    user = make.user()
    now = utcnow()
    db.session.add_all(
        [
            RevokedToken(
                jti="old",
                token_type="access",
                user_id=user.id,
                expires_at=now - timedelta(minutes=1),
            ),
            RevokedToken(
                jti="live",
                token_type="access",
                user_id=user.id,
                expires_at=now + timedelta(minutes=5),
            ),
        ]
    )
    db.session.commit()

    result = runner.invoke(args=["tokens", "purge"])

    assert "Removed 1" in result.output
    assert db.session.scalars(select(RevokedToken.jti)).all() == ["live"]


# --- flask izipay simulate-ipn ----------------------------------------------------------------


@pytest.fixture(scope="module")
def live_app(database_url):
    """The app with the local test keys, served over HTTP by its own process on a free port
    (started once for this module: the notifications it gets need no gateway)."""
    overrides = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "IZIPAY_USERNAME": USERNAME,
        "IZIPAY_PASSWORD": PASSWORD,
        "IZIPAY_PUBLIC_KEY": PUBLIC_KEY,
        "IZIPAY_HMAC_KEY": HMAC_KEY,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.live_server"],
        cwd=ROOT,
        env={**os.environ, "LIVE_APP_OVERRIDES": json.dumps(overrides)},
        stdout=subprocess.PIPE,
        text=True,  # its stderr is the test's, shown when a test fails
    )
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), "the live app did not start (its stderr says why)"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def _one_clear_line(result) -> str:
    """The command's whole output, checked to be one line and no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_simulate_ipn_pays_the_order_through_the_app_serving_on_port(
    shop_app, live_app, make, buyer, auth_headers, monkeypatch
):
    order = pending_order(shop_app.test_client(), make, auth_headers(buyer))
    monkeypatch.setenv("PORT", live_app.rsplit(":", 1)[1])  # as `PORT=8000 make run` sets it

    result = run_cli(shop_app, ["izipay", "simulate-ipn", order.order_number.lower()])

    assert result.exit_code == 0, result.output
    assert _one_clear_line(result) == (
        f"{order.order_number} is paid: the app accepted the signed notification."
    )
    assert fresh(Order, order.id).status == "paid"


def test_simulate_ipn_for_an_order_already_paid_sends_nothing_and_says_so(
    shop_app, live_app, make, buyer, auth_headers
):
    order = pending_order(shop_app.test_client(), make, auth_headers(buyer))
    url = live_app
    run_cli(shop_app, ["izipay", "simulate-ipn", order.order_number, "--url", url])

    again = run_cli(shop_app, ["izipay", "simulate-ipn", order.order_number, "--url", url])

    assert again.exit_code == 1
    assert (
        _one_clear_line(again)
        == f"Error: Order {order.order_number} is already paid: nothing sent."
    )
    assert count_rows(PaymentTransaction) == 1


def test_simulate_ipn_unpaid_twice_is_answered_as_a_repeat(
    shop_app, live_app, make, buyer, auth_headers
):
    order = pending_order(shop_app.test_client(), make, auth_headers(buyer))
    args = ["izipay", "simulate-ipn", order.order_number, "--status", "UNPAID"]
    args += ["--url", live_app]

    first = run_cli(shop_app, args)
    second = run_cli(shop_app, args)

    assert first.exit_code == 0
    assert "UNPAID notification is recorded; the order stays pending" in _one_clear_line(first)
    assert second.exit_code == 1
    assert "already had this UNPAID notification" in _one_clear_line(second)
    assert fresh(Order, order.id).status == "pending"
    assert db.session.scalar(select(PaymentTransaction.times_received)) == 2


def test_simulate_ipn_to_a_port_nothing_listens_on_is_one_line(
    shop_app, make, buyer, auth_headers, monkeypatch
):
    order = pending_order(shop_app.test_client(), make, auth_headers(buyer))
    port = free_port()
    monkeypatch.setenv("PORT", str(port))

    result = run_cli(shop_app, ["izipay", "simulate-ipn", order.order_number])

    assert result.exit_code == 1
    line = _one_clear_line(result)
    assert line.startswith(f"Error: Nothing answers at http://127.0.0.1:{port}: is the app running")
    assert fresh(Order, order.id).status == "pending"


def test_simulate_ipn_aims_at_port_5000_when_port_is_unset(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    assert local_app_url() == "http://127.0.0.1:5000"
    monkeypatch.setenv("PORT", "8000")
    assert local_app_url() == "http://127.0.0.1:8000"


def test_simulate_ipn_signed_with_another_password_than_the_app_is_one_line(
    shop_app, live_app, database_url, make, buyer, auth_headers, izipay_server
):
    order = pending_order(shop_app.test_client(), make, auth_headers(buyer))
    other_keys = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            **izipay_server.config,
            "IZIPAY_PASSWORD": "testpassword_ANOTHERSHOP",
        },
    )
    url = live_app

    result = run_cli(other_keys, ["izipay", "simulate-ipn", order.order_number, "--url", url])

    assert result.exit_code == 1
    assert _one_clear_line(result) == (
        "Error: The app refused the notification: 401 invalid_signature: The payment "
        "signature is not valid. (does the app use the same IZIPAY_PASSWORD as this command?)"
    )
    assert fresh(Order, order.id).status == "pending"


def test_simulate_ipn_of_an_unknown_order_is_one_line(shop_app):
    result = run_cli(shop_app, ["izipay", "simulate-ipn", "ORD-20261128-NOSUCH"])

    assert result.exit_code == 1
    assert _one_clear_line(result) == (
        "Error: Order ORD-20261128-NOSUCH not found in this app's database."
    )


def test_simulate_ipn_refuses_production_keys(shop_app, make, buyer, auth_headers):
    order = pending_order(shop_app.test_client(), make, auth_headers(buyer))
    shop_app.config["IZIPAY_PASSWORD"] = "prodpassword_REAL"

    result = run_cli(shop_app, ["izipay", "simulate-ipn", order.order_number])

    assert result.exit_code == 1
    assert "TEST password" in _one_clear_line(result)
