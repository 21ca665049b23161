"""Servers that accept connections and then hang (or trickle) cost a request a bounded time:
FTPS, SMTP, Izipay and the database each end within their deadline (docs/operations.md,
"Operations")."""

import io
import runpy
import smtplib
import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from config import CONFIGS
from extensions import db
from models.invitation_data import InvitationData
from services import izipay, mailer
from tests.api.test_preview_cards import upload
from tests.conftest import IsolatedClient
from tests.guest_fixtures import page, published_invitation
from tests.media_files import jpeg
from tests.services.test_izipay_client import create_payment, raise_gateway_error
from utils.deadlines import DeadlineExceeded, shut_at
from utils.ftp_manager import FtpsClient, FtpsError, FtpsSettings
from utils.jobs import TRANSIENT_ERRORS
from utils.storage import StorageError, get_storage

# Within one request no wait may come near gunicorn's 30 s; these tests shorten the deadlines
# so they run fast, and check each one is kept to within this margin (the request's own work,
# such as processing a photo or drawing a card, on a busy machine).
MARGIN_SECONDS = 1.0
ROOT = Path(__file__).resolve().parents[1]


def timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def ftps_at(server, **changes) -> dict:
    return {
        "FTP_HOST": "127.0.0.1",
        "FTP_PORT": server.port,
        "FTP_USER": "media",
        "FTP_PASSWORD": "s3cret-ftps-password",
        "FTP_BASE_DIR": "/",
        "MEDIA_BASE_URL": "https://cdn.example.pe/media",
        **changes,
    }


@pytest.fixture
def on_hung_ftps(app, silent_server, monkeypatch):
    def point(**changes):
        for name, value in ftps_at(silent_server, **changes).items():
            monkeypatch.setitem(app.config, name, value)

    yield point
    # A storage check still waiting on this server must not answer a later test's /health.
    app.extensions.pop("health_prober", None)


# --- FTPS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("server", ["silent_server", "trickling_server"])
def test_an_ftps_operation_ends_by_its_deadline_whether_the_server_hangs_or_trickles(
    request, server
):
    hung = request.getfixturevalue(server)
    # Each step may wait a second: a trickle (a byte every 0.1 s) never trips that.
    settings = FtpsSettings.from_config(
        ftps_at(hung, FTP_TIMEOUT_SECONDS=1, FTP_DEADLINE_SECONDS=1.5)
    )

    start = time.monotonic()
    with pytest.raises(FtpsError, match="failed"):
        FtpsClient(settings).upload("uploads/a.jpg", b"data")

    assert time.monotonic() - start < 1.5 + MARGIN_SECONDS
    assert hung.accepted >= 1


def test_an_ftps_operation_with_retries_left_stops_at_its_deadline(silent_server):
    settings = FtpsSettings.from_config(
        ftps_at(silent_server, FTP_TIMEOUT_SECONDS=1, FTP_DEADLINE_SECONDS=1.5)
    )
    start = time.monotonic()
    with pytest.raises(FtpsError):
        FtpsClient(settings, retries=10).check()
    assert time.monotonic() - start < 1.5 + MARGIN_SECONDS


def test_a_job_meeting_a_hung_ftps_server_fails_with_an_error_that_is_retried_later(
    on_hung_ftps,
):
    on_hung_ftps(FTP_TIMEOUT_SECONDS=0.3, FTP_DEADLINE_SECONDS=0.5)

    with pytest.raises(StorageError) as caught:
        get_storage().save("cards/1-abc.jpg", b"card")

    assert isinstance(caught.value, TRANSIENT_ERRORS)


def test_an_upload_to_a_hung_ftps_server_is_a_502_storage_error_within_the_deadline(
    client, headers, on_hung_ftps
):
    invitation = published_invitation(client, headers)
    on_hung_ftps(FTP_TIMEOUT_SECONDS=0.5, FTP_DEADLINE_SECONDS=1.0)

    response, seconds = timed(
        lambda: client.post(
            f"/api/editor/{invitation['id']}/media",
            data={"file": (io.BytesIO(jpeg(800, 600)), "foto.jpg"), "media_type": "photo"},
            content_type="multipart/form-data",
            headers=headers,
        )
    )

    assert response.status_code == 502
    assert response.get_json()["error"] == "storage_error"
    assert seconds < 1.0 + MARGIN_SECONDS


def test_an_editor_save_answers_at_once_while_ftps_hangs_and_is_stored(
    client, headers, on_hung_ftps
):
    invitation = published_invitation(client, headers)
    # Without a broker the preview card is drawn inline after the commit: it may wait on the
    # storage AFTER_COMMIT_DEADLINE_SECONDS (1 s), not the 12 s of an FTPS operation.
    on_hung_ftps()

    response, seconds = timed(
        lambda: client.patch(
            f"/api/editor/{invitation['id']}/data",
            json={"couple_groom_name": "José"},
            headers=headers,
        )
    )

    assert response.status_code == 200
    assert seconds < 1.0 + MARGIN_SECONDS
    assert page(client, invitation["main_code"]).get_json()["data"]["couple_groom_name"] == "José"
    db.session.rollback()
    stored = db.session.scalar(
        select(InvitationData).where(InvitationData.invitation_id == invitation["id"])
    )
    assert stored.couple_groom_name == "José"


def test_deleting_a_photo_answers_at_once_while_ftps_hangs_and_the_row_is_gone(
    client, headers, on_hung_ftps
):
    invitation = published_invitation(client, headers)
    photo = upload(client, headers, invitation["id"], jpeg(800, 600), media_type="photo")
    on_hung_ftps()  # its files are deleted after the commit: they wait on the storage 1 s

    response, seconds = timed(
        lambda: client.delete(
            f"/api/editor/{invitation['id']}/media/{photo['id']}", headers=headers
        )
    )

    assert response.status_code == 204
    assert seconds < 1.0 + MARGIN_SECONDS
    listed = client.get(f"/api/editor/{invitation['id']}/media", headers=headers).get_json()[
        "items"
    ]
    assert photo["id"] not in [item["id"] for item in listed]


def test_health_answers_within_a_second_while_ftps_hangs(client, on_hung_ftps):
    on_hung_ftps()  # the default deadlines: 5 s a step, 15 s an operation

    response, seconds = timed(lambda: client.get("/health"))
    again, seconds_again = timed(lambda: client.get("/health"))

    assert response.status_code == again.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "storage": "timeout"},
    }
    assert again.get_json()["checks"]["storage"] == "timeout"
    assert max(seconds, seconds_again) < 1.0


def test_health_answers_within_a_second_while_the_database_hangs(silent_server):
    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": f"mysql+pymysql://root@127.0.0.1:{silent_server.port}/x"},
    )

    response, seconds = timed(lambda: app.test_client().get("/health"))

    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "timeout", "storage": "ok"}
    assert seconds < 1.0


# --- SMTP ------------------------------------------------------------------------------------


@pytest.mark.parametrize("server", ["silent_server", "trickling_server"])
def test_a_mail_to_a_hung_smtp_server_fails_within_its_deadline(
    request, server, database_url, session_media_root
):
    hung = request.getfixturevalue(server)
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": hung.port,
            "MAIL_USE_TLS": False,
            "MAIL_TIMEOUT_SECONDS": 1,
        },
    )
    app.test_client_class = IsolatedClient
    start = time.monotonic()
    # An OSError is what makes the send_email job try again later (utils/jobs.py).
    with app.app_context(), pytest.raises((OSError, smtplib.SMTPException)):
        mailer.send_mail("luis@example.com", "Hola", "Texto")

    assert time.monotonic() - start < 1.0 + MARGIN_SECONDS


# --- Izipay ----------------------------------------------------------------------------------


def test_a_hung_payment_gateway_is_a_502_timeout_within_its_deadline(silent_server):
    credentials = izipay.IzipayCredentials(
        username="12345678",
        password="testpassword_abc",
        public_key="12345678:testpublickey_abc",
        hmac_key="hmac",
        endpoint=f"http://127.0.0.1:{silent_server.port}",
        timeout_seconds=1.0,
    )
    start = time.monotonic()

    error = raise_gateway_error(lambda: create_payment(izipay.IzipayClient(credentials)))

    assert error.details == {"reason": "timeout"}
    assert time.monotonic() - start < 1.0 + MARGIN_SECONDS


# --- Defaults ----------------------------------------------------------------------------------


def test_the_default_deadlines_keep_a_request_well_inside_gunicorns_timeout(monkeypatch):
    monkeypatch.delenv("GUNICORN_TIMEOUT", raising=False)
    gunicorn_timeout = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["timeout"]
    config = CONFIGS["production"]

    # An upload's FTPS work, then what runs after its commit.
    upload = config.FTP_DEADLINE_SECONDS + config.AFTER_COMMIT_DEADLINE_SECONDS
    assert upload <= gunicorn_timeout / 2
    for deadline in (
        config.MAIL_TIMEOUT_SECONDS,
        config.IZIPAY_TIMEOUT_SECONDS,
        config.HEALTH_TIMEOUT_SECONDS,
    ):
        assert deadline <= gunicorn_timeout / 2
    assert config.FTP_TIMEOUT_SECONDS < config.FTP_DEADLINE_SECONDS
    assert config.HEALTH_TIMEOUT_SECONDS < 1


def test_a_reply_cut_short_by_the_deadline_is_not_taken_for_an_answer(trickling_server):
    # The trickle looks like the start of a "2xx" reply: ended by the deadline, it must not
    # pass for one.
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        with socket.create_connection(("127.0.0.1", trickling_server.port), timeout=5) as sock:
            with shut_at(start + 0.5, lambda: [sock]):
                sock.makefile("rb").readline()

    assert time.monotonic() - start < 0.5 + MARGIN_SECONDS
