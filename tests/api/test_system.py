"""Health, request ids, security headers, CORS and the error contract."""

import json
import logging

import pytest
from flask import Flask, request

from app import create_app


def test_health_reports_database_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}


def test_health_is_503_naming_the_database_when_it_is_down(tmp_path):
    missing = tmp_path / "no-such-dir" / "db.sqlite"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})

    response = app.test_client().get("/health")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "error"


def test_health_is_503_when_mysql_server_is_unreachable(caplog):
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": "mysql+pymysql://root@127.0.0.1:1/nothing"}
    )
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "error", "storage": "ok"}
    assert "Can't connect to MySQL server" in caplog.text


def test_request_id_is_generated_and_echoed(client):
    generated = client.get("/health").headers["X-Request-ID"]
    echoed = client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]

    assert len(generated) == 32
    assert echoed == "abc-123"


def test_unsafe_request_id_is_replaced(client):
    response = client.get("/health", headers={"X-Request-ID": "<script>" + "x" * 200})
    assert len(response.headers["X-Request-ID"]) == 32


def test_json_log_lines_carry_the_request_id(capsys):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "LOG_FORMAT": "json"})

    @app.get("/noisy")
    def noisy():
        logging.getLogger("noisy").warning("something happened")
        return {}

    app.test_client().get("/noisy", headers={"X-Request-ID": "trace-me"})

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    entry = next(line for line in lines if line["message"] == "something happened")
    assert entry["request_id"] == "trace-me"
    assert entry["level"] == "WARNING"


def test_every_response_has_security_headers(client):
    for response in (client.get("/health"), client.get("/nope")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_cors_allows_configured_origins_only(client):
    good = client.get("/api/plans", headers={"Origin": "http://localhost:3000"})
    evil = client.get("/api/plans", headers={"Origin": "https://evil.example"})

    assert good.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_cors_preflight_allows_auth_and_if_match_headers(client):
    response = client.options(
        "/api/plans",
        headers={
            "Origin": "http://localhost:3001",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, Content-Type, If-Match",
        },
    )
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3001"
    assert {"authorization", "content-type", "if-match"} <= {h.strip() for h in allowed.split(",")}


def test_unknown_path_is_a_json_404(client):
    response = client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": "Not found."}


def test_wrong_method_is_a_json_405(client):
    response = client.delete("/api/plans")
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_a_json_413():
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @app.post("/echo")
    def echo():
        return request.get_json()

    limit = app.config["MAX_CONTENT_LENGTH"]
    response = app.test_client().post(
        "/echo", data=b"x" * (limit + 1), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == "payload_too_large"


def _app_with_failing_route() -> Flask:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    return app


def test_unexpected_exception_is_a_500_without_internals(caplog):
    response = _app_with_failing_route().test_client().get("/boom")

    assert response.status_code == 500
    body = response.get_json()
    assert body == {"error": "internal_server_error", "message": "Unexpected error."}
    assert "secret internals" not in response.get_data(as_text=True)
    assert any(
        record.exc_info and "secret internals" in str(record.exc_info[1])
        for record in caplog.records
    )


@pytest.mark.parametrize(
    "overrides, problem",
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "dev-secret-change-me"}, "SECRET_KEY"),
        ({"JWT_SECRET_KEY": "short"}, "JWT_SECRET"),
        ({"JWT_SECRET_KEY": "dev-secret-change-me"}, "JWT_SECRET"),
        ({"DEBUG": True}, "debug"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(overrides, problem):
    settings = {
        "SECRET_KEY": "a-real-secret-key-for-production-use",
        "JWT_SECRET_KEY": "a-real-jwt-secret-of-at-least-32-bytes!!",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "PUBLIC_BASE_URL": "https://api.invitaciones.example",
        **overrides,
    }
    with pytest.raises(RuntimeError, match=problem):
        create_app("production", settings)


def test_production_starts_with_safe_settings():
    app = create_app(
        "production",
        {
            "SECRET_KEY": "a-real-secret-key-for-production-use",
            "JWT_SECRET_KEY": "a-real-jwt-secret-of-at-least-32-bytes!!",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PUBLIC_BASE_URL": "https://api.invitaciones.example",
        },
    )
    response = app.test_client().get("/api/plans/1")
    assert "max-age" in response.headers["Strict-Transport-Security"]
