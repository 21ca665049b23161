"""Accounts tried as an attacker would: e-mail look-alikes, revocations that must survive Redis,
password guesses spread over many IPs, and mails of transactions that roll back."""

import re
import secrets

import pytest
import redis
from sqlalchemy import func, select

from app import create_app
from extensions import db
from models.auth_token import PasswordResetToken, RevokedToken
from models.user import User
from services import auth
from tests.conftest import IsolatedClient
from tests.factories import DEFAULT_PASSWORD
from utils.db import transactional

DEAD_REDIS = "redis://127.0.0.1:1/0"
PASSWORD = "clave12345"
# jose@x.pe with one letter accented: each is another address, never jose's account.
ACCENT_VARIANTS = ["jóse@x.pe", "jöse@x.pe", "jôse@x.pe", "josé@x.pe", "jòse@x.pe"]


@pytest.fixture
def new_app(database_url):
    """Another app instance on the test database, as another worker or host would be."""

    def build(**overrides):
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        app.test_client_class = IsolatedClient
        return app

    return build


@pytest.fixture
def redis_prefix(redis_url):
    """A key namespace of this test's own in the run's Redis, removed afterwards."""
    prefix = f"test-{secrets.token_hex(6)}"
    yield prefix
    flush_prefix(redis_url, prefix)


def flush_prefix(redis_url: str, prefix: str) -> None:
    """Delete every key of `prefix`: what a Redis restarted without persistence holds."""
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def mail_app(new_app, smtp_server):
    """An app that sends its e-mail to the local SMTP server of the test."""
    return new_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)


def register(client, email, password=PASSWORD):
    body = {"email": email, "password": password, "first_name": "José", "last_name": "Quispe"}
    return client.post("/api/auth/register", json=body)


def login(client, email, password=PASSWORD, ip=None):
    headers = {"X-Forwarded-For": ip} if ip else {}
    return client.post(
        "/api/auth/login", json={"email": email, "password": password}, headers=headers
    )


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def recipients(smtp_server) -> list[str]:
    return [address for _sender, to, _message in smtp_server.messages for address in to]


# --- E-mail identity: exact on SQLite and MariaDB ---------------------------------------------


@pytest.mark.parametrize("variant", [*ACCENT_VARIANTS, "jose@x.pé"])
def test_login_refuses_an_accent_variant_of_an_email(client, variant):
    assert register(client, "jose@x.pe").status_code == 201

    response = login(client, variant)

    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_credentials"


@pytest.mark.parametrize("spelling", ["JOSE@x.pe", "Jose@X.PE", "  jose@x.pe  "])
def test_login_with_another_letter_case_is_the_same_account(client, spelling):
    account = register(client, "jose@x.pe").get_json()["user"]

    response = login(client, spelling)

    assert response.status_code == 200
    assert response.get_json()["user"]["id"] == account["id"]


def test_an_accent_variant_registers_as_a_different_account(client):
    jose = register(client, "jose@x.pe").get_json()["user"]

    accented = register(client, "jóse@x.pe", password="otraClave789")

    assert accented.status_code == 201
    assert accented.get_json()["user"]["id"] != jose["id"]
    assert accented.get_json()["user"]["email"] == "jóse@x.pe"
    assert login(client, "jóse@x.pe", "otraClave789").get_json()["user"]["email"] == "jóse@x.pe"
    assert login(client, "jose@x.pe").get_json()["user"]["id"] == jose["id"]
    assert login(client, "jose@x.pe", "otraClave789").status_code == 401


def test_register_refuses_another_letter_case_of_a_taken_email(client):
    register(client, "jose@x.pe")

    response = register(client, "JOSE@X.pe")

    assert response.status_code == 409
    assert response.get_json()["error"] == "email_taken"


def test_the_database_compares_stored_emails_exactly(make):
    make.user(email="jose@x.pe")

    def found(email):
        return db.session.scalar(select(func.count()).select_from(User).where(User.email == email))

    assert found("jose@x.pe") == 1
    assert [found(variant) for variant in ACCENT_VARIANTS] == [0] * len(ACCENT_VARIANTS)
    # Two addresses that differ only by an accent can both be stored under the unique index.
    make.user(email="jóse@x.pe")
    assert found("jóse@x.pe") == 1


def test_a_decomposed_accent_is_the_same_address_as_the_composed_one(client, make):
    accented = make.user(email="jo\u0301se@x.pe")  # "o" + combining acute accent

    response = login(client, "jóse@x.pe", DEFAULT_PASSWORD)

    assert accented.email == "jóse@x.pe"
    assert response.status_code == 200
    assert response.get_json()["user"]["id"] == accented.id


def test_forgot_password_for_accent_variants_mails_nobody(mail_app, make, smtp_server):
    make.user(email="jose@x.pe")
    client = mail_app.test_client()

    statuses = [
        client.post("/api/auth/forgot-password", json={"email": variant}).status_code
        for variant in ACCENT_VARIANTS
    ]

    assert statuses == [202] * len(ACCENT_VARIANTS)
    assert smtp_server.messages == []
    assert db.session.scalar(select(func.count()).select_from(PasswordResetToken)) == 0
    client.post("/api/auth/forgot-password", json={"email": "JOSE@x.pe"})
    assert recipients(smtp_server) == ["jose@x.pe"]


def test_letter_case_variants_share_one_forgot_password_bucket(new_app, make, smtp_server):
    make.user(email="jose@x.pe")
    client = new_app(
        RATELIMIT_ENABLED=True,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.port,
        MAIL_USE_TLS=False,
    ).test_client()
    spellings = ["jose@x.pe", "JOSE@x.pe", "Jose@X.pe", "jOSE@x.PE", "JoSe@x.pe", "JOSE@X.PE"]

    statuses = [
        client.post("/api/auth/forgot-password", json={"email": spelling}).status_code
        for spelling in spellings
    ]

    assert statuses == [202] * 5 + [429]
    assert recipients(smtp_server) == ["jose@x.pe"] * 5


# --- After-commit mail -----------------------------------------------------------------------


def test_forgot_password_mails_only_after_its_transaction_commits(mail_app, make, smtp_server):
    make.user(email="luis@example.com")

    with mail_app.app_context():

        @transactional
        def ask_then_fail():
            auth.forgot_password("luis@example.com")
            assert smtp_server.messages == [], "the mail waits for the commit"
            raise RuntimeError("a later step of the same transaction fails")

        with pytest.raises(RuntimeError):
            ask_then_fail()
        assert smtp_server.messages == []
        assert db.session.scalar(select(func.count()).select_from(PasswordResetToken)) == 0

        auth.forgot_password("luis@example.com")
        assert db.session.scalar(select(func.count()).select_from(PasswordResetToken)) == 1

    assert recipients(smtp_server) == ["luis@example.com"]
    link = smtp_server.messages[0][2].get_content()
    assert re.search(r"reset-password\?token=[A-Za-z0-9_-]{43}", link)


# --- Revocations survive Redis -----------------------------------------------------------------


def test_logged_out_tokens_stay_revoked_after_redis_is_flushed(
    new_app, make, redis_url, redis_prefix
):
    make.user(email="luis@example.com")
    settings = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": redis_prefix}
    client = new_app(**settings).test_client()
    pair = login(client, "luis@example.com", DEFAULT_PASSWORD).get_json()
    client.post(
        "/api/auth/logout",
        headers=bearer(pair["access_token"]),
        json={"refresh_token": pair["refresh_token"]},
    )

    flush_prefix(redis_url, redis_prefix)
    restarted = new_app(**settings).test_client()

    me = restarted.get("/api/auth/me", headers=bearer(pair["access_token"]))
    refresh = restarted.post("/api/auth/refresh", headers=bearer(pair["refresh_token"]))
    assert me.get_json()["error"] == "token_revoked"
    assert refresh.get_json()["error"] == "token_revoked"
    assert db.session.scalar(select(func.count()).select_from(RevokedToken)) == 2


def test_a_rotated_away_refresh_token_stays_revoked_after_redis_is_flushed(
    new_app, make, redis_url, redis_prefix
):
    make.user(email="luis@example.com")
    client = new_app(REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_prefix).test_client()
    spent = login(client, "luis@example.com", DEFAULT_PASSWORD).get_json()["refresh_token"]
    assert client.post("/api/auth/refresh", headers=bearer(spent)).status_code == 200

    flush_prefix(redis_url, redis_prefix)

    replayed = client.post("/api/auth/refresh", headers=bearer(spent))
    assert replayed.status_code == 401
    assert replayed.get_json()["error"] == "token_revoked"


def test_signed_in_requests_do_not_depend_on_redis(new_app, make):
    make.user(email="luis@example.com")
    client = new_app(REDIS_URL=DEAD_REDIS).test_client()
    pair = login(client, "luis@example.com", DEFAULT_PASSWORD).get_json()

    assert client.get("/api/auth/me", headers=bearer(pair["access_token"])).status_code == 200
    assert client.post("/api/auth/logout", headers=bearer(pair["access_token"])).status_code == 200
    me = client.get("/api/auth/me", headers=bearer(pair["access_token"]))
    assert me.get_json()["error"] == "token_revoked"


# --- Throttles: per account across IPs, and on every password check ------------------------------


def throttled_app(new_app, **limits):
    # TRUSTED_PROXIES=1 lets each request claim its own client IP through X-Forwarded-For.
    return new_app(RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1, **limits)


def test_failed_logins_from_many_ips_lock_the_account(new_app, make):
    make.user(email="luis@example.com")
    make.user(email="rosa@example.com")
    client = throttled_app(new_app, RATELIMIT_LOGIN_ACCOUNT="3 per 15 minutes").test_client()

    failures = [
        login(client, "luis@example.com", "equivocada1", ip=f"10.0.0.{n}").status_code
        for n in range(3)
    ]
    locked = login(client, "luis@example.com", DEFAULT_PASSWORD, ip="10.0.1.1")

    assert failures == [401] * 3
    assert locked.status_code == 429
    assert locked.get_json()["error"] == "rate_limited"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert login(client, "rosa@example.com", DEFAULT_PASSWORD, ip="10.0.1.1").status_code == 200


def test_an_unknown_email_is_throttled_exactly_like_an_account(new_app, make):
    make.user(email="luis@example.com")
    client = throttled_app(new_app, RATELIMIT_LOGIN_ACCOUNT="3 per 15 minutes").test_client()

    def attempts(email):
        responses = [login(client, email, "equivocada1", ip=f"10.1.0.{n}") for n in range(5)]
        return [(r.status_code, r.get_json(), "Retry-After" in r.headers) for r in responses]

    known, unknown = attempts("luis@example.com"), attempts("nadie@example.com")

    assert [status for status, _body, _retry in known] == [401, 401, 401, 429, 429]
    assert known == unknown


def test_successful_logins_do_not_count_against_the_account(new_app, make):
    make.user(email="luis@example.com")
    client = throttled_app(new_app, RATELIMIT_LOGIN_ACCOUNT="2 per 15 minutes").test_client()

    statuses = [
        login(client, "luis@example.com", DEFAULT_PASSWORD, ip=f"10.2.0.{n}").status_code
        for n in range(4)
    ]

    assert statuses == [200] * 4


def test_instances_share_the_account_limit_through_redis(new_app, make, redis_url, redis_prefix):
    make.user(email="luis@example.com")
    settings = {
        "RATELIMIT_LOGIN_ACCOUNT": "3 per 15 minutes",
        "RATELIMIT_STORAGE_URI": redis_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": redis_prefix,
    }
    first = throttled_app(new_app, **settings).test_client()
    second = throttled_app(new_app, **settings).test_client()

    login(first, "luis@example.com", "equivocada1", ip="10.3.0.1")
    login(first, "luis@example.com", "equivocada1", ip="10.3.0.2")
    login(second, "luis@example.com", "equivocada1", ip="10.3.0.3")

    assert login(first, "luis@example.com", DEFAULT_PASSWORD, ip="10.3.0.4").status_code == 429
    assert login(second, "luis@example.com", DEFAULT_PASSWORD, ip="10.3.0.5").status_code == 429


def test_the_account_limit_counts_in_memory_while_redis_is_down(new_app, make):
    make.user(email="luis@example.com")
    client = throttled_app(
        new_app, RATELIMIT_LOGIN_ACCOUNT="2 per 15 minutes", RATELIMIT_STORAGE_URI=DEAD_REDIS
    ).test_client()

    statuses = [
        login(client, "luis@example.com", "equivocada1", ip=f"10.5.0.{n}").status_code
        for n in range(3)
    ]

    assert statuses == [401, 401, 429]


def change_password(client, headers, current):
    body = {"current_password": current, "new_password": "otraClave456"}
    return client.post("/api/auth/change-password", headers=headers, json=body)


def delete_account(client, headers, password):
    return client.delete("/api/users/me", headers=headers, json={"password": password})


@pytest.mark.parametrize("check", [change_password, delete_account], ids=["change", "delete"])
def test_password_checks_of_signed_in_routes_are_limited_per_ip_and_user(
    new_app, make, auth_headers, check
):
    client = throttled_app(new_app, RATELIMIT_LOGIN="2 per minute").test_client()
    guessed, bystander = auth_headers(make.user()), auth_headers(make.user())

    statuses = [check(client, guessed, "equivocada1").status_code for _ in range(3)]
    refused = check(client, guessed, DEFAULT_PASSWORD)

    assert statuses == [401, 401, 429]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert check(client, bystander, "equivocada1").status_code == 401


@pytest.mark.parametrize("check", [change_password, delete_account], ids=["change", "delete"])
def test_password_checks_of_signed_in_routes_are_limited_per_ip(new_app, make, auth_headers, check):
    client = throttled_app(new_app, RATELIMIT_LOGIN_IP="3 per minute").test_client()
    users = [auth_headers(make.user()) for _ in range(4)]

    statuses = [check(client, headers, "equivocada1").status_code for headers in users]

    assert statuses == [401, 401, 401, 429]


def test_failed_checks_of_signed_in_routes_count_against_the_account(new_app, make, auth_headers):
    user = make.user(email="luis@example.com")
    headers = auth_headers(user)
    client = throttled_app(new_app, RATELIMIT_LOGIN_ACCOUNT="2 per 15 minutes").test_client()

    forwarded = {**headers, "X-Forwarded-For": "10.4.0.1"}
    assert change_password(client, forwarded, "equivocada1").status_code == 401
    forwarded = {**headers, "X-Forwarded-For": "10.4.0.2"}
    assert delete_account(client, forwarded, "equivocada1").status_code == 401

    assert login(client, "luis@example.com", DEFAULT_PASSWORD, ip="10.4.0.3").status_code == 429
    assert change_password(client, headers, DEFAULT_PASSWORD).status_code == 429
    db.session.refresh(user)
    assert user.is_active
