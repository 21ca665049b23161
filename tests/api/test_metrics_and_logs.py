"""What an operator reads: Prometheus series of bounded cardinality and one clean access line
per request, in one timestamp format for the app's and gunicorn's lines."""

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app import create_app
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
SERIES = re.compile(r"^(http_responses_total|http_request_duration_seconds_count)\{([^}]*)\}", re.M)


def series(client) -> set[str]:
    body = client.get("/metrics").get_data(as_text=True)
    return {f"{name}{{{labels}}}" for name, labels in SERIES.findall(body)}


def test_invented_methods_and_unmatched_paths_add_no_series(client):
    # One request of each kind creates its series: invented method on a route, invented
    # method elsewhere, unknown path, known method on an unknown path.
    client.open("/api/plans", method="FOOBAR")
    client.open("/random-0", method="FOOBAR")
    client.get("/random-0")
    client.delete("/random-0")
    before = series(client)

    for n in range(1, 30):
        client.open("/api/plans", method=f"METHOD{n}")
        client.open(f"/random-{n}", method=f"X{n}")
        client.get(f"/random-{n}")
        client.delete(f"/api/plans/{n}/nothing-here")

    after = series(client)
    assert after == before
    assert 'http_responses_total{method="other",route="<unmatched>",status="405"}' in after
    assert 'http_responses_total{method="other",route="<unmatched>",status="404"}' in after
    assert 'http_responses_total{method="GET",route="<unmatched>",status="404"}' in after
    assert not any("random" in line or "METHOD" in line for line in after)


def test_metrics_count_requests_per_route_template(client, make):
    plan = make.plan()
    client.get(f"/api/plans/{plan.id}")
    client.get("/api/plans/999999")

    body = client.get("/metrics").get_data(as_text=True)

    assert (
        'http_responses_total{method="GET",route="/api/plans/<int:plan_id>",status="200"}' in body
    )
    assert (
        'http_responses_total{method="GET",route="/api/plans/<int:plan_id>",status="404"}' in body
    )
    assert "http_request_duration_seconds_bucket" in body
    assert f"/api/plans/{plan.id}" not in body


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def access_lines(text: str) -> list[dict]:
    return [line for line in json_lines(text) if line["logger"] == "access"]


@pytest.fixture
def json_app(database_url):
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "LOG_FORMAT": "json"})


def test_each_request_writes_one_access_line_with_route_status_time_and_id(json_app, make, capsys):
    plan = make.plan()
    capsys.readouterr()

    response = json_app.test_client().get(f"/api/plans/{plan.id}")

    (line,) = access_lines(capsys.readouterr().err)
    assert line["method"] == "GET"
    assert line["route"] == "/api/plans/<int:plan_id>"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user_id"] == "-"
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert re.fullmatch(ISO_UTC, line["time"])


def test_access_line_names_the_authenticated_user(json_app, make, auth_headers, capsys):
    user = make.user()
    headers = auth_headers(user)
    capsys.readouterr()

    json_app.test_client().get("/api/auth/me", headers=headers)

    (line,) = access_lines(capsys.readouterr().err)
    assert (line["route"], line["status"], line["user_id"]) == ("/api/auth/me", 200, str(user.id))


def test_refused_and_unmatched_requests_get_their_access_line_too(database_url, capsys):
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "LOG_FORMAT": "json",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_DEFAULT": "1 per minute",
        },
    )
    client = app.test_client()
    capsys.readouterr()

    client.get("/api/plans")
    client.get("/api/plans")
    client.open("/nowhere", method="BREW")
    client.get("/elsewhere")

    lines = access_lines(capsys.readouterr().err)
    assert [(line["method"], line["route"], line["status"]) for line in lines] == [
        ("GET", "/api/plans", 200),
        ("GET", "/api/plans", 429),
        ("other", "<unmatched>", 404),
        ("GET", "<unmatched>", 429),
    ]


def test_text_lines_start_with_an_iso_utc_timestamp(database_url, capsys):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "LOG_FORMAT": "text"})
    capsys.readouterr()

    app.test_client().get("/api/plans", headers={"X-Request-ID": "trace-1"})

    lines = [line for line in capsys.readouterr().err.splitlines() if " - access - " in line]
    assert len(lines) == 1
    assert re.fullmatch(
        ISO_UTC + r" - access - INFO - \[trace-1\] GET /api/plans 200 \d+\.\dms user=-", lines[0]
    )


def test_log_lines_never_show_emails_tokens_or_card_numbers(database_url, make, capsys):
    make.user(email="luis@example.com")
    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True, "LOG_LEVEL": "INFO"},
    )
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"

    @app.get("/chatty")
    def chatty():
        logging.getLogger("chatty").warning(
            "paid with 4111 1111 1111 1111 by rosa@example.com, header Bearer %s, link"
            " https://x.pe/reset-password?token=s3cr3tvalue&x=1",
            token,
        )
        return {}

    client = app.test_client()
    for _ in range(7):
        client.post("/api/auth/login", json={"email": "luis@example.com", "password": "mala1234"})
    client.post("/api/auth/forgot-password", json={"email": "luis@example.com"})
    client.get("/chatty")

    written = capsys.readouterr().err
    assert "exceeded" in written  # Flask-Limiter's line about the login limit is there...
    assert "[email]" in written and "[card]" in written and "[token]" in written
    for secret in ("luis@example.com", "rosa@example.com", "4111 1111 1111 1111", token, "s3cr3t"):
        assert secret not in written  # ...without what identifies the account or pays


def test_order_numbers_and_ids_are_not_mistaken_for_card_numbers(database_url, capsys):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})

    @app.get("/ids")
    def ids():
        logging.getLogger("ids").warning("order ORD-20261128-7KQ2M9 amount 14900 id 1234567890123")
        return {}

    app.test_client().get("/ids")

    assert "ORD-20261128-7KQ2M9 amount 14900 id 1234567890123" in capsys.readouterr().err


def test_gunicorn_lines_share_the_app_format(tmp_path):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {**os.environ, "APP_ENV": "testing", "TEST_DATABASE_URL": "", "LOG_FORMAT": "text"}
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "1"]
    command += ["-b", f"127.0.0.1:{port}", "app:create_app()"]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2):  # noqa: S310
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)

    lines = log_path.read_text().splitlines()
    assert lines and all(re.match(ISO_UTC + r" - \S+ - [A-Z]+ - \[", line) for line in lines), lines
    assert any(" - gunicorn.error - INFO - [-] Starting gunicorn" in line for line in lines)
    assert any(" - access - INFO - [" in line and "GET /metrics 200" in line for line in lines)


def test_metrics_count_uploads_and_emails_by_outcome(client, headers, media_root, make):
    import io

    from tests.invitation_fixtures import paid_invitation
    from tests.media_files import jpeg

    invitation = paid_invitation(client, headers)
    for content in (jpeg(), b"not an image at all"):
        client.post(
            f"/api/editor/{invitation['id']}/media",
            data={"file": (io.BytesIO(content), "foto.jpg"), "media_type": "photo"},
            content_type="multipart/form-data",
            headers=headers,
        )
    client.post("/api/auth/forgot-password", json={"email": make.user().email})

    body = client.get("/metrics").get_data(as_text=True)

    assert 'uploads_total{media_type="photo",outcome="stored"}' in body
    assert 'uploads_total{media_type="photo",outcome="unsupported_media_type"}' in body
    assert 'emails_total{outcome="logged"}' in body
