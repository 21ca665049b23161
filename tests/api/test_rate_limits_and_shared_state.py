"""Rate limits, and what several app instances (workers, hosts) must agree on."""

import redis
from sqlalchemy import func, select

from extensions import db
from models.auth_token import RevokedToken
from services.tokens import issue_token_pair
from tests.factories import DEFAULT_PASSWORD


def attempt_login(client, email, password="equivocada1", **headers):
    return client.post(
        "/api/auth/login", json={"email": email, "password": password}, headers=headers
    )


def test_login_is_limited_per_ip_and_email_with_retry_after(new_app, make):
    make.user(email="luis@example.com")
    client = new_app(RATELIMIT_ENABLED=True).test_client()

    statuses = [attempt_login(client, "luis@example.com").status_code for _ in range(5)]
    blocked = attempt_login(client, "luis@example.com")
    other_account = attempt_login(client, "rosa@example.com")

    assert statuses == [401] * 5
    assert blocked.status_code == 429
    assert blocked.get_json()["error"] == "rate_limited"
    assert int(blocked.headers["Retry-After"]) > 0
    assert other_account.status_code == 401


def test_login_is_limited_per_ip_across_emails(new_app):
    client = new_app(RATELIMIT_ENABLED=True).test_client()

    statuses = [attempt_login(client, f"u{i}@example.com").status_code for i in range(21)]

    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_register_is_limited_per_ip(new_app):
    client = new_app(RATELIMIT_ENABLED=True, RATELIMIT_REGISTER="2 per hour").test_client()

    def register(n):
        body = {"email": f"n{n}@example.com", "password": "clave12345", "first_name": "A"}
        return client.post("/api/auth/register", json={**body, "last_name": "B"}).status_code

    assert [register(n) for n in range(3)] == [201, 201, 429]


def test_forgot_password_is_limited_per_email(new_app):
    client = new_app(RATELIMIT_ENABLED=True).test_client()

    def ask(email):
        return client.post("/api/auth/forgot-password", json={"email": email}).status_code

    assert [ask("luis@example.com") for _ in range(6)] == [202] * 5 + [429]
    assert ask("rosa@example.com") == 202


def test_forwarded_for_is_ignored_without_trusted_proxies(new_app):
    client = new_app(RATELIMIT_ENABLED=True).test_client()

    statuses = [
        attempt_login(client, "x@example.com", **{"X-Forwarded-For": f"10.0.0.{i}"}).status_code
        for i in range(6)
    ]

    assert statuses[-1] == 429


def test_forwarded_for_is_the_client_ip_behind_a_trusted_proxy(new_app):
    client = new_app(RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1).test_client()

    statuses = [
        attempt_login(client, "x@example.com", **{"X-Forwarded-For": f"10.0.0.{i}"}).status_code
        for i in range(6)
    ]

    assert statuses == [401] * 6


def test_in_memory_limits_are_per_instance(new_app):
    first = new_app(RATELIMIT_ENABLED=True).test_client()
    second = new_app(RATELIMIT_ENABLED=True).test_client()

    for _ in range(5):
        attempt_login(first, "luis@example.com")

    assert attempt_login(second, "luis@example.com").status_code == 401


def test_two_instances_share_login_limits_through_redis(new_app, redis_url, redis_prefix):
    settings = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": redis_prefix,
    }
    first = new_app(**settings).test_client()
    second = new_app(**settings).test_client()

    statuses = [attempt_login(first, "luis@example.com").status_code for _ in range(3)]
    statuses += [attempt_login(second, "luis@example.com").status_code for _ in range(2)]

    assert statuses == [401] * 5
    assert attempt_login(first, "luis@example.com").status_code == 429
    assert attempt_login(second, "luis@example.com").status_code == 429


def _login_pair(client, email):
    return attempt_login(client, email, DEFAULT_PASSWORD).get_json()


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_two_instances_sharing_the_database_agree_on_a_logout(new_app, make):
    make.user(email="luis@example.com")
    first = new_app().test_client()
    second = new_app().test_client()
    pair = _login_pair(first, "luis@example.com")
    assert second.get("/api/auth/me", headers=_bearer(pair["access_token"])).status_code == 200

    first.post("/api/auth/logout", headers=_bearer(pair["access_token"]))

    response = second.get("/api/auth/me", headers=_bearer(pair["access_token"]))
    assert response.get_json()["error"] == "token_revoked"
    assert db.session.scalar(select(func.count()).select_from(RevokedToken)) == 1


def test_a_logout_is_kept_in_the_database_even_with_redis(new_app, make, redis_url, redis_prefix):
    make.user(email="luis@example.com")
    settings = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": redis_prefix}
    first = new_app(**settings).test_client()
    second = new_app(**settings).test_client()
    pair = _login_pair(first, "luis@example.com")

    first.post(
        "/api/auth/logout",
        headers=_bearer(pair["access_token"]),
        json={"refresh_token": pair["refresh_token"]},
    )

    me = second.get("/api/auth/me", headers=_bearer(pair["access_token"]))
    refresh = second.post("/api/auth/refresh", headers=_bearer(pair["refresh_token"]))
    assert me.get_json()["error"] == "token_revoked"
    assert refresh.get_json()["error"] == "token_revoked"
    # Durable: a Redis restarted empty cannot revive either token.
    assert db.session.scalar(select(func.count()).select_from(RevokedToken)) == 2
    assert list(redis.Redis.from_url(redis_url).scan_iter(f"{redis_prefix}:*revoked*")) == []


def test_refresh_rotation_through_redis_refuses_reuse(new_app, make, redis_url, redis_prefix):
    make.user(email="luis@example.com")
    client = new_app(REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_prefix).test_client()
    pair = _login_pair(client, "luis@example.com")

    assert (
        client.post("/api/auth/refresh", headers=_bearer(pair["refresh_token"])).status_code == 200
    )
    reused = client.post("/api/auth/refresh", headers=_bearer(pair["refresh_token"]))
    assert reused.get_json()["error"] == "token_revoked"


DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_health_reports_redis_when_configured(new_app, redis_url, redis_prefix):
    healthy = new_app(REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_prefix).test_client()
    broken = new_app(REDIS_URL=DEAD_REDIS).test_client()

    assert healthy.get("/health").get_json()["checks"] == {
        "database": "ok",
        "storage": "ok",
        "redis": "ok",
    }
    response = broken.get("/health")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "storage": "ok", "redis": "error"}


def test_tokens_keep_working_while_redis_is_down(new_app, make):
    user = make.user(email="luis@example.com")
    client = new_app(REDIS_URL=DEAD_REDIS).test_client()
    headers = _bearer(issue_token_pair(user)["access_token"])

    response = client.get("/api/auth/me", headers=headers)

    assert response.status_code == 200


def test_rate_limits_fall_back_to_memory_when_redis_is_down(new_app):
    client = new_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=DEAD_REDIS, REDIS_URL=None
    ).test_client()

    statuses = [attempt_login(client, "luis@example.com").status_code for _ in range(6)]

    assert statuses == [401] * 5 + [429]


def test_wrong_method_counts_against_the_default_limit(new_app):
    client = new_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="5 per minute").test_client()

    statuses = [client.delete("/api/plans").status_code for _ in range(6)]
    invented = client.open("/api/plans", method="FOOBAR")

    assert statuses == [405] * 5 + [429]
    assert invented.status_code == 429
    assert int(invented.headers["Retry-After"]) > 0
    assert invented.get_json()["error"] == "rate_limited"


def test_unmatched_paths_count_against_the_default_limit(new_app):
    client = new_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="5 per minute").test_client()

    statuses = [client.get(f"/random-{n}").status_code for n in range(6)]

    assert statuses == [404] * 5 + [429]


def test_limited_responses_carry_the_limit_headers(new_app):
    client = new_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="5 per minute").test_client()

    first, second = client.get("/api/plans"), client.get("/api/plans")

    assert first.headers["X-RateLimit-Limit"] == "5"
    assert [first.headers["X-RateLimit-Remaining"], second.headers["X-RateLimit-Remaining"]] == [
        "4",
        "3",
    ]
    assert int(first.headers["X-RateLimit-Reset"]) > 0
    assert "Retry-After" not in first.headers


def test_health_and_metrics_are_never_limited(new_app):
    client = new_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute").test_client()

    statuses = {client.get(path).status_code for path in ("/health", "/metrics") * 5}

    assert statuses == {200}


SPA = "http://localhost:5173"


def preflight(client, path, method="POST"):
    headers = {
        "Origin": SPA,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    return client.options(path, headers=headers)


def test_cors_preflights_are_answered_past_any_limit(new_app, limiter_storage):
    client = new_app(
        **limiter_storage, RATELIMIT_DEFAULT="2 per minute", CORS_ORIGINS=[SPA]
    ).test_client()
    for _ in range(6):
        attempt_login(client, "luis@example.com")
        client.get("/api/plans")

    answers = [preflight(client, "/api/auth/login"), preflight(client, "/api/plans", "GET")]

    assert attempt_login(client, "luis@example.com").status_code == 429
    assert client.get("/api/plans").status_code == 429
    assert [answer.status_code for answer in answers] == [200, 200]
    assert all(answer.headers["Access-Control-Allow-Origin"] == SPA for answer in answers)
    assert "POST" in answers[0].headers["Access-Control-Allow-Methods"]


def test_cors_preflights_spend_none_of_a_routes_limit(new_app, limiter_storage):
    client = new_app(
        **limiter_storage, RATELIMIT_DEFAULT="2 per minute", CORS_ORIGINS=[SPA]
    ).test_client()

    preflights = [preflight(client, "/api/plans", "GET").status_code for _ in range(5)]

    assert preflights == [200] * 5
    assert [client.get("/api/plans").status_code for _ in range(3)] == [200, 200, 429]


def test_an_unrouted_preflight_still_counts_against_the_default_limit(new_app):
    client = new_app(
        RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute", CORS_ORIGINS=[SPA]
    ).test_client()

    statuses = [preflight(client, f"/sondeo-{n}").status_code for n in range(3)]

    assert statuses == [404, 404, 429]
