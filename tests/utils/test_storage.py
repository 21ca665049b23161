"""Uploads on a real FTPS server: TLS on both channels, whole files or none, every failure."""

import io

import pytest

from extensions import db
from models.invitation_media import InvitationMedia
from tests.ftps_server import FtpsServer
from tests.invitation_fixtures import paid_invitation
from tests.media_files import jpeg
from utils.ftp_manager import FtpsClient, FtpsError, FtpsSettings


def client_for(server: FtpsServer, **changes) -> FtpsClient:
    settings = FtpsSettings.from_config({**server.config(), **changes})
    return FtpsClient(settings, retries=2)


def upload(client, headers, invitation_id, content, media_type="photo"):
    return client.post(
        f"/api/editor/{invitation_id}/media",
        data={"file": (io.BytesIO(content), "foto.jpg"), "media_type": media_type},
        content_type="multipart/form-data",
        headers=headers,
    )


def test_a_file_is_uploaded_whole_under_its_key_and_deleted(ftps):
    client = client_for(ftps)

    client.upload("uploads/ab/photo.jpg", b"x" * 70_000)

    assert ftps.files() == ["uploads/ab/photo.jpg"]
    assert (ftps.root / "uploads/ab/photo.jpg").stat().st_size == 70_000
    client.delete("uploads/ab/photo.jpg")
    client.delete("uploads/ab/photo.jpg")  # already gone: fine
    assert ftps.files() == []


def test_a_server_whose_certificate_is_not_trusted_is_refused(ftps):
    with pytest.raises(FtpsError):
        client_for(ftps, FTP_CA_FILE=None).upload("uploads/a.jpg", b"data")
    assert ftps.files() == []


def test_a_wrong_password_is_refused_without_retrying(ftps):
    with pytest.raises(FtpsError, match="refused"):
        client_for(ftps, FTP_PASSWORD="wrong").upload("uploads/a.jpg", b"data")


def test_a_photo_uploaded_through_the_api_lands_on_the_ftps_server(
    client, make, auth_headers, on_ftps
):
    headers = auth_headers(make.user())
    invitation = paid_invitation(client, headers)

    response = upload(client, headers, invitation["id"], jpeg(2000, 1500))

    assert response.status_code == 201, response.get_json()
    media = response.get_json()
    assert media["url"].startswith("https://cdn.example.pe/media/uploads/")
    row = db.session.get(InvitationMedia, media["id"])
    assert on_ftps.files() == sorted([row.storage_key, row.thumbnail_key])
    assert client.get("/health").get_json()["checks"]["storage"] == "ok"

    deleted = client.delete(f"/api/editor/{invitation['id']}/media/{media['id']}", headers=headers)
    assert deleted.status_code == 204
    assert on_ftps.files() == []


def test_a_server_that_refuses_writes_leaves_no_row(
    client, make, auth_headers, tmp_path, app, monkeypatch
):
    root = tmp_path / "read-only"
    root.mkdir()
    with FtpsServer(root, tmp_path, read_only=True) as server:
        for name, value in server.config().items():
            monkeypatch.setitem(app.config, name, value)
        headers = auth_headers(make.user())
        invitation = paid_invitation(client, headers)

        response = upload(client, headers, invitation["id"], jpeg())

        assert response.status_code == 502
        assert response.get_json()["error"] == "storage_error"
        assert server.files() == []
    assert db.session.query(InvitationMedia).count() == 0


def test_a_server_vanishing_before_the_thumbnail_takes_the_first_file_back(
    client, make, auth_headers, on_ftps
):
    headers = auth_headers(make.user())
    invitation = paid_invitation(client, headers)
    on_ftps.faults.drop_from_store = 2  # the photo goes up, then every later STOR is cut

    response = upload(client, headers, invitation["id"], jpeg())

    assert response.status_code == 502
    assert on_ftps.faults.stores >= 2
    assert on_ftps.files() == []
    assert db.session.query(InvitationMedia).count() == 0


def test_one_dropped_connection_is_retried(client, make, auth_headers, on_ftps):
    headers = auth_headers(make.user())
    invitation = paid_invitation(client, headers)
    on_ftps.faults.drop_stores = frozenset({1})

    response = upload(client, headers, invitation["id"], jpeg())

    assert response.status_code == 201, response.get_json()
    assert on_ftps.faults.stores == 3  # the photo twice, then its thumbnail
    assert len(on_ftps.files()) == 2


def test_health_reports_an_unreachable_ftps_server(client, app, monkeypatch, ftps):
    for name, value in ftps.config().items():
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.setitem(app.config, "FTP_PORT", 1)

    response = client.get("/health")

    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"] == "error"
