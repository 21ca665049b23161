"""Forged, expired, revoked or wrong-type tokens never reach a route."""

import base64
import json
from datetime import timedelta

import jwt as pyjwt
import pytest

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
