"""Register, login, refresh, logout, password change and reset through the API."""

import json
import logging
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from extensions import db
from models.user import User
from tests.factories import DEFAULT_PASSWORD

NEW_PASSWORD = "otraClave456"


def register(client, **overrides):
    body = {
        "email": "Ana.Quispe@Example.com",
        "password": "clave12345",
        "first_name": "Ana",
        "last_name": "Quispe",
        **overrides,
    }
    return client.post("/api/auth/register", json=body)


def login(client, email, password=DEFAULT_PASSWORD):
    return client.post("/api/auth/login", json={"email": email, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_register_creates_a_signed_in_customer(client):
    response = register(client, phone="+51 987 654 321")

    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["email"] == "ana.quispe@example.com"
    assert body["user"]["role"] == "user"
    assert body["user"]["phone"] == "+51 987 654 321"
    assert "password" not in body["user"] and "password_hash" not in body["user"]
    me = client.get("/api/auth/me", headers=bearer(body["access_token"]))
    assert me.get_json()["user"]["id"] == body["user"]["id"]


def test_register_refuses_an_email_taken_in_any_case(client):
    register(client)
    response = register(client, email="ANA.QUISPE@example.COM")
    assert response.status_code == 409
    assert response.get_json()["error"] == "email_taken"


@pytest.mark.parametrize(
    "password, problem",
    [
        ("corta1", "at least 8"),
        ("sinnumeros", "digit"),
        ("12345678", "letter"),
        ("ñ" * 36 + "a1", "at most 72 bytes"),
        ("ññññññ1", "at least 8"),  # 13 bytes, but 7 characters
        ("١٢٣٤٥٦٧a", "digit"),  # Arabic-Indic digits are not 0-9
    ],
)
def test_register_enforces_the_password_rules(client, password, problem):
    response = register(client, password=password)

    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_error"
    assert any(problem in message for message in body["details"]["password"])


def test_register_refuses_unknown_fields_so_no_one_sets_a_role(client):
    response = register(client, role="admin")

    assert response.status_code == 422
    assert "role" in response.get_json()["details"]
    assert db.session.scalar(select(User)) is None


def test_register_reports_every_invalid_field_at_once(client):
    response = register(client, email="not-an-email", first_name="  ", phone="abc")
    assert set(response.get_json()["details"]) == {"email", "first_name", "phone"}


def test_malformed_json_is_a_400(client):
    response = client.post(
        "/api/auth/register", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_missing_or_non_json_body_is_a_400(client):
    empty = client.post("/api/auth/register")
    form = client.post("/api/auth/register", data={"email": "a@b.pe"})

    assert empty.status_code == 400
    assert form.status_code == 400
    assert form.get_json()["error"] == "bad_request"


def test_json_that_is_not_an_object_is_a_422(client):
    response = client.post("/api/auth/login", json=["a", "b"])
    assert response.status_code == 422


def test_login_returns_the_user_and_a_token_pair(client, make):
    user = make.user(email="luis@example.com")

    response = login(client, "LUIS@example.com")

    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["id"] == user.id
    assert body["access_token"] and body["refresh_token"]
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_login_and_refresh_say_when_the_tokens_run_out(app, client, make):
    make.user(email="luis@example.com")
    access_seconds = app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()
    refresh_seconds = app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds()

    session = login(client, "luis@example.com").get_json()
    rotated = client.post("/api/auth/refresh", headers=bearer(session["refresh_token"])).get_json()

    for body in (session, rotated):
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == access_seconds == 15 * 60
        assert body["refresh_expires_in"] == refresh_seconds == 7 * 24 * 3600


def test_login_does_not_reveal_whether_an_email_exists(client, make):
    make.user(email="luis@example.com")

    wrong_password = login(client, "luis@example.com", "equivocada1")
    unknown_email = login(client, "nadie@example.com", "equivocada1")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.get_json() == unknown_email.get_json()
    assert wrong_password.get_json()["error"] == "invalid_credentials"


def test_login_with_an_overlong_password_is_a_401_not_a_500(client, make):
    make.user(email="luis@example.com")
    response = login(client, "luis@example.com", "á" * 100)
    assert response.status_code == 401


def test_disabled_account_cannot_log_in(client, make):
    make.user(email="luis@example.com", is_active=False)
    response = login(client, "luis@example.com")
    assert response.status_code == 403
    assert response.get_json()["error"] == "account_disabled"


def test_refresh_rotates_the_pair_and_the_old_refresh_token_stops_working(client, make):
    make.user(email="luis@example.com")
    first = login(client, "luis@example.com").get_json()

    rotated = client.post("/api/auth/refresh", headers=bearer(first["refresh_token"]))
    replayed = client.post("/api/auth/refresh", headers=bearer(first["refresh_token"]))

    assert rotated.status_code == 200
    new_pair = rotated.get_json()
    assert set(new_pair) == {
        "access_token", "refresh_token", "token_type", "expires_in", "refresh_expires_in"
    }  # fmt: skip
    assert replayed.status_code == 401
    assert replayed.get_json()["error"] == "token_revoked"
    again = client.post("/api/auth/refresh", headers=bearer(new_pair["refresh_token"]))
    assert again.status_code == 200
    assert client.get("/api/auth/me", headers=bearer(new_pair["access_token"])).status_code == 200


def test_logout_revokes_the_access_token_and_the_refresh_token_sent(client, make):
    make.user(email="luis@example.com")
    pair = login(client, "luis@example.com").get_json()

    response = client.post(
        "/api/auth/logout",
        headers=bearer(pair["access_token"]),
        json={"refresh_token": pair["refresh_token"]},
    )

    assert response.status_code == 200
    me = client.get("/api/auth/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 401
    assert me.get_json()["error"] == "token_revoked"
    refresh = client.post("/api/auth/refresh", headers=bearer(pair["refresh_token"]))
    assert refresh.get_json()["error"] == "token_revoked"


def test_logout_without_a_body_revokes_only_the_access_token(client, make):
    make.user(email="luis@example.com")
    pair = login(client, "luis@example.com").get_json()

    assert client.post("/api/auth/logout", headers=bearer(pair["access_token"])).status_code == 200
    assert (
        client.post("/api/auth/refresh", headers=bearer(pair["refresh_token"])).status_code == 200
    )


def test_change_password_revokes_every_earlier_token(client, make):
    make.user(email="luis@example.com")
    old = login(client, "luis@example.com").get_json()
    other_device = login(client, "luis@example.com").get_json()

    response = client.post(
        "/api/auth/change-password",
        headers=bearer(old["access_token"]),
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 200
    fresh = response.get_json()
    for token in (old["access_token"], other_device["access_token"]):
        me = client.get("/api/auth/me", headers=bearer(token))
        assert me.get_json()["error"] == "token_revoked"
    refresh = client.post("/api/auth/refresh", headers=bearer(other_device["refresh_token"]))
    assert refresh.get_json()["error"] == "token_revoked"
    assert client.get("/api/auth/me", headers=bearer(fresh["access_token"])).status_code == 200
    assert login(client, "luis@example.com", NEW_PASSWORD).status_code == 200
    assert login(client, "luis@example.com").status_code == 401


def test_change_password_needs_the_current_password(client, make, auth_headers):
    user = make.user()
    response = client.post(
        "/api/auth/change-password",
        headers=auth_headers(user),
        json={"current_password": "wrong-one1", "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_credentials"


def _reset_token_from_log(caplog) -> str:
    mails = [r.getMessage() for r in caplog.records if "reset-password?token=" in r.getMessage()]
    assert mails, "the reset e-mail should have been written to the log"
    return re.search(r"token=([\w-]+)", mails[-1]).group(1)


def test_forgot_password_answers_the_same_for_unknown_emails(client, make, caplog):
    caplog.set_level(logging.INFO)
    make.user(email="luis@example.com")

    known = client.post("/api/auth/forgot-password", json={"email": "luis@example.com"})
    unknown = client.post("/api/auth/forgot-password", json={"email": "nadie@example.com"})

    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    assert "nadie@example.com" not in caplog.text


def test_password_reset_works_once_and_revokes_earlier_tokens(client, make, caplog):
    caplog.set_level(logging.INFO)
    make.user(email="luis@example.com")
    old = login(client, "luis@example.com").get_json()
    client.post("/api/auth/forgot-password", json={"email": "luis@example.com"})
    token = _reset_token_from_log(caplog)

    reset = client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD}
    )
    reused = client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": "terceraClave789"}
    )

    assert reset.status_code == 200
    assert reused.status_code == 422
    assert "token" in reused.get_json()["details"]
    assert login(client, "luis@example.com", NEW_PASSWORD).status_code == 200
    me = client.get("/api/auth/me", headers=bearer(old["access_token"]))
    assert me.get_json()["error"] == "token_revoked"


def test_expired_reset_token_is_refused(client, make, caplog):
    from datetime import timedelta

    from models.auth_token import PasswordResetToken
    from utils.time import utcnow

    caplog.set_level(logging.INFO)
    make.user(email="luis@example.com")
    client.post("/api/auth/forgot-password", json={"email": "luis@example.com"})
    token = _reset_token_from_log(caplog)
    for reset in db.session.scalars(select(PasswordResetToken)):
        reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    response = client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 422


def test_reset_with_an_unknown_token_is_a_422(client):
    response = client.post(
        "/api/auth/reset-password", json={"token": "made-up", "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert response.get_json()["error"] == "validation_error"


def test_one_refresh_token_spent_twice_at_once_yields_one_new_pair(app, client, make):
    import threading

    make.user(email="luis@example.com")
    pair = login(client, "luis@example.com").get_json()
    barrier = threading.Barrier(4)
    statuses = []

    def spend():
        worker = app.test_client()
        barrier.wait()
        statuses.append(
            worker.post("/api/auth/refresh", headers=bearer(pair["refresh_token"])).status_code
        )

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 401, 401, 401]


PASSWORD_SCHEMAS = [("Register", "password"), ("ChangePassword", "new_password")]
PASSWORD_SCHEMAS += [("ResetPassword", "new_password")]


def _documented_password(client, schema, field):
    spec = client.get("/api/openapi.json").get_json()
    return spec["components"]["schemas"][schema]["properties"][field]


@pytest.mark.parametrize("schema, field", PASSWORD_SCHEMAS)
def test_the_openapi_document_states_the_password_rules(client, schema, field):
    rules = _documented_password(client, schema, field)

    assert rules["minLength"] == 8 and rules["maxLength"] == 72
    assert rules["format"] == "password"
    assert "72 bytes" in rules["description"]
    assert re.search(rules["pattern"], "contraseña1")
    assert not re.search(rules["pattern"], "sinnumeros") and not re.search(rules["pattern"], "1234")


def test_the_documented_password_rules_are_the_ones_the_server_applies(client):
    from utils.passwords import password_problems

    rules = _documented_password(client, "Register", "password")

    @given(candidate=st.text(max_size=80))
    @settings(max_examples=500, deadline=None)
    def agree(candidate):
        # The byte limit is the one rule JSON Schema cannot state; the description gives it.
        assume(len(candidate.encode()) <= 72)
        documented_valid = rules["minLength"] <= len(candidate) <= rules["maxLength"] and bool(
            re.search(rules["pattern"], candidate)
        )
        assert documented_valid == (password_problems(candidate) == [])

    agree()


@pytest.mark.parametrize(
    "password", ["contraseña1", "ÁÉÍÓÚñ12", "Ñandú2026", "a1" + "x" * 70, "ü" * 35 + "1a"]
)
def test_a_password_valid_by_the_document_is_accepted(client, password):
    rules = _documented_password(client, "Register", "password")
    assert 8 <= len(password) <= 72 and re.search(rules["pattern"], password)

    response = register(client, password=password)

    assert response.status_code == 201
    assert login(client, "ana.quispe@example.com", password).status_code == 200


def test_the_openapi_document_states_the_reset_token_shape(client, make, caplog):
    caplog.set_level(logging.INFO)
    make.user(email="luis@example.com")
    client.post("/api/auth/forgot-password", json={"email": "luis@example.com"})
    spec = client.get("/api/openapi.json").get_json()

    pattern = spec["components"]["schemas"]["ResetPassword"]["properties"]["token"]["pattern"]

    assert re.fullmatch(pattern, _reset_token_from_log(caplog))
    response = client.post(
        "/api/auth/reset-password", json={"token": "x" * 44, "new_password": NEW_PASSWORD}
    )
    assert response.get_json()["details"]["token"] == ["The reset link is not valid."]


@pytest.mark.parametrize("password", ["\ud800abcdefg1", "abcdefg1\udfff"])
def test_a_password_with_a_lone_surrogate_is_a_422_not_a_500(client, password):
    body = json.dumps({"email": "luis@example.com", "password": password})

    response = client.post(
        "/api/auth/login", data=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert "password" in response.get_json()["details"]
