"""A Redis that stops answering (frozen with SIGSTOP) degrades the API as a dead one does,
within a bounded time: every Redis client gives up after REDIS_TIMEOUT_SECONDS
(docs/operations.md, "Operations")."""

import secrets
import time

from app import create_app
from tests.conftest import IsolatedClient
from tests.factories import DEFAULT_PASSWORD

# Far above REDIS_TIMEOUT_SECONDS (0.2 s, one retry), far below a hung request.
PROMPT_SECONDS = 2.0


def timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def login(client, password="equivocada1"):
    return client.post("/api/auth/login", json={"email": "luis@example.com", "password": password})


def test_a_frozen_redis_degrades_like_a_dead_one_and_recovers(own_redis, database_url, make):
    make.user(email="luis@example.com")
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": own_redis.url,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": own_redis.url,
            "REDIS_KEY_PREFIX": f"frozen-{secrets.token_hex(4)}",
        },
    )
    app.test_client_class = IsolatedClient
    client = app.test_client()
    # Both clients hold an open connection to Redis when it freezes.
    assert client.get("/health").get_json()["checks"] == {
        "database": "ok",
        "storage": "ok",
        "redis": "ok",
    }
    access_token = login(client, DEFAULT_PASSWORD).get_json()["access_token"]

    own_redis.freeze()
    try:
        health, health_seconds = timed(lambda: client.get("/health"))
        logins = [timed(lambda: login(client)) for _ in range(6)]
        me, me_seconds = timed(
            lambda: client.get("/api/auth/me", headers={"Authorization": f"Bearer {access_token}"})
        )
    finally:
        own_redis.thaw()

    assert health.status_code == 503
    assert health.get_json()["checks"] == {"database": "ok", "storage": "ok", "redis": "error"}
    # The limits count in memory meanwhile: five more failures, then 429.
    assert [response.status_code for response, _ in logins] == [401] * 5 + [429]
    # Revocations are checked in the database: a valid token still works.
    assert me.status_code == 200
    slowest = max([health_seconds, me_seconds, *(seconds for _, seconds in logins)])
    assert slowest < PROMPT_SECONDS

    assert client.get("/health").get_json()["checks"] == {
        "database": "ok",
        "storage": "ok",
        "redis": "ok",
    }


def test_health_answers_promptly_while_redis_is_frozen_from_the_start(own_redis, database_url):
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": own_redis.url}
    )
    own_redis.freeze()
    try:
        health, seconds = timed(lambda: app.test_client().get("/health"))
    finally:
        own_redis.thaw()

    assert (health.status_code, health.get_json()["checks"]["redis"]) == (503, "error")
    assert seconds < PROMPT_SECONDS
