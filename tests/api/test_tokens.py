"""Forged, expired, revoked or wrong-type tokens never reach a route."""

import base64
import json
import logging
from datetime import timedelta

import jwt as pyjwt
import pytest
from sqlalchemy import event

from extensions import db
from services.tokens import issue_token_pair
from utils.time import utcnow


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _claims(user, **overrides):
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "jti": "forged-jti",
        "type": "access",
        "fresh": False,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=15)).timestamp()),
        "ver": user.token_version,
    }
    claims.update(overrides)
    return claims


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_valid_token_reaches_the_route(client, make, app):
    user = make.user()
    token = pyjwt.encode(_claims(user), app.config["JWT_SECRET_KEY"], algorithm="HS256")
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda claims, secret: "not-a-token", id="garbage"),
        pytest.param(
            lambda claims, secret: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
            id="alg-none",
        ),
        pytest.param(
            lambda claims, secret: pyjwt.encode(claims, secret, algorithm="HS512"),
            id="other-algorithm",
        ),
        pytest.param(
            lambda claims, secret: pyjwt.encode(claims, "x" * 40, algorithm="HS256"),
            id="wrong-signature",
        ),
        pytest.param(
            lambda claims, secret: pyjwt.encode({**claims, "type": "refresh"}, secret),
            id="refresh-used-as-access",
        ),
    ],
)
def test_forged_or_wrong_type_tokens_are_unauthorized(client, make, app, forge):
    user = make.user()
    token = forge(_claims(user), app.config["JWT_SECRET_KEY"])

    response = client.get("/api/auth/me", headers=bearer(token))

    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_access_token_cannot_refresh(client, make):
    user = make.user()
    access = issue_token_pair(user)["access_token"]
    response = client.post("/api/auth/refresh", headers=bearer(access))
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_expired_token_is_token_expired(client, make, app):
    user = make.user()
    past = utcnow() - timedelta(hours=1)
    token = pyjwt.encode(
        _claims(user, exp=int(past.timestamp()), iat=int(past.timestamp()) - 60),
        app.config["JWT_SECRET_KEY"],
        algorithm="HS256",
    )

    response = client.get("/api/auth/me", headers=bearer(token))

    assert response.status_code == 401
    assert response.get_json()["error"] == "token_expired"


def test_missing_or_malformed_header_is_unauthorized(client):
    for headers in ({}, {"Authorization": "Token abc"}, {"Authorization": "Bearer"}):
        response = client.get("/api/auth/me", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorized"


def test_access_tokens_last_15_minutes_and_refresh_tokens_7_days(make):
    from flask_jwt_extended import decode_token

    pair = issue_token_pair(make.user())
    access = decode_token(pair["access_token"])
    refresh = decode_token(pair["refresh_token"])

    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    assert access["jti"] != refresh["jti"]


def test_disabled_users_tokens_stop_working_at_once(client, make, auth_headers):
    user = make.user()
    headers = auth_headers(user)
    user.is_active = False
    db.session.commit()

    response = client.get("/api/auth/me", headers=headers)

    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def _signed(app, claims):
    return pyjwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256")


def _without(name):
    return lambda claims: {key: value for key, value in claims.items() if key != name}


def _with(**changes):
    return lambda claims: {**claims, **changes}


# Tokens signed with the right key that we would never issue.
MALFORMED_CLAIMS = [
    pytest.param(_with(sub="abc"), id="sub-not-a-number"),
    pytest.param(_with(sub="99999999999999999999999"), id="sub-beyond-64-bits"),
    pytest.param(_with(sub="9" * 5000), id="sub-of-5000-digits"),
    pytest.param(_with(sub="0"), id="sub-zero"),
    pytest.param(_with(sub="-1"), id="sub-negative"),
    pytest.param(_with(sub="１２"), id="sub-non-ascii-digits"),
    pytest.param(lambda claims: {**claims, "sub": int(claims["sub"])}, id="sub-an-integer"),
    pytest.param(_with(sub=None), id="sub-null"),
    pytest.param(_without("sub"), id="no-sub"),
    pytest.param(_without("jti"), id="no-jti"),
    pytest.param(_with(jti=""), id="empty-jti"),
    pytest.param(_with(jti=["a"]), id="jti-a-list"),
    pytest.param(_with(jti="j" * 65), id="jti-too-long"),
    pytest.param(_without("ver"), id="no-ver"),
    pytest.param(_with(ver="0"), id="ver-a-string"),
    pytest.param(_with(ver=True), id="ver-a-boolean"),
    pytest.param(_with(type="admin"), id="unknown-type"),
    pytest.param(_without("exp"), id="no-exp"),
    pytest.param(_with(exp=10**12), id="exp-beyond-year-9999"),
]


@pytest.mark.parametrize("malform", MALFORMED_CLAIMS)
@pytest.mark.parametrize(
    "method, path, token_type",
    [
        ("get", "/api/auth/me", "access"),
        ("get", "/api/users/me", "access"),
        ("patch", "/api/users/me", "access"),
        ("post", "/api/auth/logout", "access"),
        ("post", "/api/auth/refresh", "refresh"),
    ],
)
def test_well_signed_tokens_with_malformed_claims_are_unauthorized_without_a_traceback(
    client, make, app, caplog, malform, method, path, token_type
):
    user = make.user()
    token = _signed(app, malform(_claims(user, type=token_type, jti="a-jti")))

    response = getattr(client, method)(path, headers=bearer(token), json={})

    assert response.status_code == 401
    assert response.get_json() == {"error": "unauthorized", "message": "The token is not valid."}
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_an_admin_route_refuses_a_malformed_token_as_unauthorized_not_forbidden(client, make, app):
    admin = make.user(role="admin")
    token = _signed(app, _claims(admin, sub="abc"))

    response = client.get("/api/admin/users", headers=bearer(token))

    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


# A body's refresh_token is at most 4096 characters: the 5000-digit one is a plain 422.
FITTING_IN_A_BODY = [param for param in MALFORMED_CLAIMS if param.id != "sub-of-5000-digits"]


@pytest.mark.parametrize("malform", FITTING_IN_A_BODY)
def test_logout_ignores_a_malformed_refresh_token_in_the_body(client, make, app, malform):
    user = make.user()
    access = issue_token_pair(user)["access_token"]
    refresh = _signed(app, malform(_claims(user, type="refresh", jti="body-jti")))

    response = client.post(
        "/api/auth/logout", headers=bearer(access), json={"refresh_token": refresh}
    )

    assert response.status_code == 200
    assert client.get("/api/auth/me", headers=bearer(access)).get_json()["error"] == "token_revoked"


def test_an_authenticated_read_costs_one_sql_statement(client, make, auth_headers):
    headers = auth_headers(make.user())
    statements = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get("/api/auth/me", headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    assert response.status_code == 200
    # The user row and the revocation check together, never the user read twice.
    assert len(statements) == 1, statements
    assert "users" in statements[0] and "revoked_tokens" in statements[0]
