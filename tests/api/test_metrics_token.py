"""METRICS_TOKEN: with it set, /metrics answers only its bearer; without it, /metrics is open."""

import pytest

from app import create_app

TOKEN = "q8Vt3mZr1Lx6Nc9Kw2Hd5Pj7Fy0Gb4Sa"  # noqa: S105 - the test's own


@pytest.fixture
def guarded(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)


def test_the_right_bearer_token_reads_the_prometheus_text(guarded, client):
    client.get("/api/plans")

    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert 'http_responses_total{method="GET",route="/api/plans",status="200"}' in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ],
    ids=["missing", "wrong", "longer", "other-scheme", "no-scheme"],
)
def test_anything_else_is_401_in_the_api_error_shape(guarded, client, headers):
    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert "METRICS_TOKEN" in response.get_json()["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "http_responses_total" not in response.text


def test_without_a_token_the_metrics_stay_open(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert "http_request_duration_seconds" in response.text


def test_production_refuses_a_placeholder_metrics_token():
    settings = {
        "SECRET_KEY": "k7Qv2n9XbR4sLw8ZpT1mYc6HdJ3fGa5E",
        "JWT_SECRET_KEY": "Zr8Lm2Qx7Vb4Nc9Ks1Hw6Pd3Jt5Fy0Ga",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "PUBLIC_BASE_URL": "https://api.invitaciones.example",
        "METRICS_TOKEN": "change-me",
    }

    with pytest.raises(RuntimeError, match="METRICS_TOKEN is an example or placeholder"):
        create_app("production", settings)
