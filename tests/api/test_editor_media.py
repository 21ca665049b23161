"""Uploads through the API: what is accepted, what is refused, and nothing left behind."""

import io
import threading

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import create_app
from extensions import db
from models.invitation_media import InvitationMedia
from tests.invitation_fixtures import FULL_FEATURES, create_draft, paid_invitation
from tests.media_files import (
    jpeg,
    jpeg_markers,
    jpeg_with_metadata,
    jpeg_without_scan_data,
    mp3_with_xing,
    png_bomb,
    png_missing_rows,
    silent_mp3,
)
from utils import file_processing
from utils.media import local_app_url


@pytest.fixture
def headers(make, auth_headers):
    make.plan()  # drafts are held to the cheapest active plan
    return auth_headers(make.user())


def stored_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def upload(client, headers, invitation_id, content, media_type="photo", name="foto.jpg", **form):
    return client.post(
        f"/api/editor/{invitation_id}/media",
        data={"file": (io.BytesIO(content), name), "media_type": media_type, **form},
        content_type="multipart/form-data",
        headers=headers,
    )


def test_a_photo_is_stored_with_its_thumbnail_and_described(client, headers, media_root, make):
    draft = create_draft(client, headers, make.template())

    response = upload(client, headers, draft["id"], jpeg(2400, 1800, gps=True), caption="Hola")

    assert response.status_code == 201, response.get_json()
    media = response.get_json()
    assert (media["media_type"], media["mime_type"], media["caption"]) == (
        "photo",
        "image/jpeg",
        "Hola",
    )
    assert (media["width"], media["height"]) == (1920, 1440)
    assert media["url"].startswith(f"{local_app_url()}/media/uploads/")
    assert media["thumbnail_url"] != media["url"]
    assert len(stored_files(media_root)) == 2
    row = db.session.get(InvitationMedia, media["id"])
    assert row.size_bytes == media["size_bytes"] and len(row.sha256) == 64
    assert "foto" not in row.storage_key
    with client.get(media["thumbnail_url"].removeprefix(local_app_url())) as served:
        assert served.status_code == 200
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "immutable" in served.headers["Cache-Control"]


@pytest.mark.parametrize(
    "content, status, code",
    [
        (b"plain text pretending to be a photo", 415, "unsupported_media_type"),
        (jpeg()[:200], 422, "validation_error"),
        (png_bomb(), 422, "validation_error"),
        (jpeg_without_scan_data(), 422, "validation_error"),
        (png_missing_rows(), 422, "validation_error"),
    ],
    ids=["text-named-jpg", "truncated", "bomb", "jpeg-without-scan-data", "png-missing-rows"],
)
def test_bad_files_are_refused_and_leave_nothing(
    client, headers, media_root, make, content, status, code
):
    draft = create_draft(client, headers, make.template())

    response = upload(client, headers, draft["id"], content)

    assert response.status_code == status
    assert response.get_json()["error"] == code
    assert stored_files(media_root) == []
    assert db.session.query(InvitationMedia).count() == 0


def test_an_upload_finding_every_decoder_busy_is_503_with_retry_after(
    client, headers, media_root, make, monkeypatch
):
    draft = create_draft(client, headers, make.template())
    monkeypatch.setattr(file_processing, "DECODE_WAIT_SECONDS", 0.1)
    held = [file_processing._decode_slots.acquire() for _ in range(file_processing.DECODE_SLOTS)]
    try:
        response = upload(client, headers, draft["id"], jpeg())
    finally:
        for _ in held:
            file_processing._decode_slots.release()

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert stored_files(media_root) == []


def test_an_upload_over_the_size_limit_is_413(app, client, headers, media_root, make, monkeypatch):
    draft = create_draft(client, headers, make.template())
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50_000)

    response = upload(client, headers, draft["id"], bytes(60_000))

    assert response.status_code == 413
    assert response.get_json()["error"] == "payload_too_large"


def test_music_needs_the_plan_feature(client, headers, media_root, make):
    without_music = paid_invitation(client, headers, features={**FULL_FEATURES, "music": False})
    with_music = paid_invitation(client, headers)

    refused = upload(client, headers, without_music["id"], silent_mp3(), "music", "a.mp3")
    accepted = upload(client, headers, with_music["id"], silent_mp3(), "music", "a.mp3")

    assert refused.status_code == 403
    assert refused.get_json()["error"] == "feature_not_in_plan"
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["mime_type"] == "audio/mpeg"
    assert accepted.get_json()["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    assert accepted.get_json()["thumbnail_url"] is None


def test_the_stored_photo_and_thumbnail_keep_no_comment_or_profile(
    client, headers, media_root, make
):
    draft = create_draft(client, headers, make.template())

    response = upload(client, headers, draft["id"], jpeg_with_metadata())

    assert response.status_code == 201, response.get_json()
    stored = [media_root / name for name in stored_files(media_root)]
    assert len(stored) == 2
    for path in stored:
        content = path.read_bytes()
        assert 0xFE not in jpeg_markers(content)  # COM
        assert 0xE1 not in jpeg_markers(content) and 0xE2 not in jpeg_markers(content)
        assert b"secret" not in content


@pytest.mark.parametrize(
    "content",
    [mp3_with_xing(frames=0xFFFF_FFFF, size=100_000), mp3_with_xing(frames=1, size=0xFFFF_FFFF)],
    ids=["1e8-seconds", "1e12-bits-per-second"],
)
def test_music_with_a_crafted_duration_or_bitrate_is_422_and_leaves_nothing(
    client, headers, media_root, content
):
    invitation = paid_invitation(client, headers)

    response = upload(client, headers, invitation["id"], content, "music", "a.mp3")

    assert response.status_code == 422, response.get_json()
    assert "file" in response.get_json()["details"]
    assert stored_files(media_root) == []
    assert db.session.query(InvitationMedia).count() == 0


def test_a_photo_sent_as_music_is_unsupported(client, headers, media_root):
    invitation = paid_invitation(client, headers)

    response = upload(client, headers, invitation["id"], jpeg(), "music")

    assert response.status_code == 415


def test_a_file_sent_as_a_plain_form_field_is_422(client, headers, media_root):
    invitation = paid_invitation(client, headers)

    response = client.post(
        f"/api/editor/{invitation['id']}/media",
        data={"file": "not a file", "media_type": "photo"},
        content_type="multipart/form-data",
        headers=headers,
    )

    assert response.status_code == 422
    assert "file" in response.get_json()["details"]
    assert list(media_root.rglob("*.*")) == []


def test_max_photos_counts_photos_only(client, headers, media_root):
    invitation = paid_invitation(client, headers, features={**FULL_FEATURES, "max_photos": 1})

    first = upload(client, headers, invitation["id"], jpeg())
    cover = upload(client, headers, invitation["id"], jpeg(), "cover")
    second = upload(client, headers, invitation["id"], jpeg())

    assert (first.status_code, cover.status_code) == (201, 201)
    assert second.status_code == 403
    assert second.get_json()["error"] == "plan_limit_reached"
    assert len(stored_files(media_root)) == 4


def test_max_photos_holds_under_concurrent_uploads(database_url, tmp_path, make, auth_headers):
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_ROOT": str(tmp_path)}
    )
    user = make.user()
    with app.app_context():
        from services.tokens import issue_token_pair

        headers = {"Authorization": f"Bearer {issue_token_pair(user)['access_token']}"}
        invitation = paid_invitation(
            app.test_client(), headers, features={**FULL_FEATURES, "max_photos": 2}
        )
    photo = jpeg()
    statuses = []
    start = threading.Barrier(5)

    def send():
        with app.app_context():
            client = app.test_client()
            start.wait()
            statuses.append(upload(client, headers, invitation["id"], photo).status_code)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 201, 403, 403, 403]
    assert len(stored_files(tmp_path)) == 4
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_database_failure_when_recording_leaves_no_file(client, headers, media_root, make):
    draft = create_draft(client, headers, make.template())

    def database_gone(session, _context, _instances):
        if any(isinstance(row, InvitationMedia) for row in session.new):
            raise OperationalError("INSERT INTO invitation_media", {}, Exception("gone away"))

    event.listen(Session, "before_flush", database_gone)
    try:
        response = upload(client, headers, draft["id"], jpeg())
    finally:
        event.remove(Session, "before_flush", database_gone)

    assert response.status_code == 503
    assert stored_files(media_root) == []
    assert db.session.query(InvitationMedia).count() == 0


def test_a_storage_failure_leaves_no_row_and_no_first_file(client, headers, media_root, make):
    draft = create_draft(client, headers, make.template())
    blocker = media_root / "uploads"
    blocker.write_text("a file where the uploads folder should be")

    response = upload(client, headers, draft["id"], jpeg())

    assert response.status_code == 502
    assert response.get_json()["error"] == "storage_error"
    assert stored_files(media_root) == ["uploads"]
    assert db.session.query(InvitationMedia).count() == 0


def test_caption_order_and_delete(client, headers, media_root):
    invitation = paid_invitation(client, headers)
    ids = [upload(client, headers, invitation["id"], jpeg()).get_json()["id"] for _ in range(3)]
    base = f"/api/editor/{invitation['id']}/media"

    captioned = client.patch(f"{base}/{ids[0]}", json={"caption": "Nosotros"}, headers=headers)
    reordered = client.put(f"{base}/order", json={"ids": ids[::-1]}, headers=headers)
    partial = client.put(f"{base}/order", json={"ids": ids[:2]}, headers=headers)
    deleted = client.delete(f"{base}/{ids[1]}", headers=headers)

    assert captioned.get_json()["caption"] == "Nosotros"
    assert [item["id"] for item in reordered.get_json()["items"]] == ids[::-1]
    assert partial.status_code == 422
    assert deleted.status_code == 204
    listed = client.get(base, headers=headers).get_json()["items"]
    assert [item["id"] for item in listed] == [ids[2], ids[0]]
    assert len(stored_files(media_root)) == 4


def test_deleting_the_invitation_removes_its_files(client, headers, media_root):
    invitation = paid_invitation(client, headers)
    upload(client, headers, invitation["id"], jpeg())

    response = client.delete(f"/api/invitations/{invitation['id']}", headers=headers)

    assert response.status_code == 204
    assert stored_files(media_root) == []
    assert db.session.query(InvitationMedia).count() == 0


def test_a_used_cover_can_be_deleted_and_the_data_forgets_it(client, headers, media_root):
    invitation = paid_invitation(client, headers)
    cover = upload(client, headers, invitation["id"], jpeg(), "cover").get_json()
    client.patch(
        f"/api/editor/{invitation['id']}/data",
        json={"cover_media_id": cover["id"]},
        headers=headers,
    )

    client.delete(f"/api/editor/{invitation['id']}/media/{cover['id']}", headers=headers)

    data = client.get(f"/api/editor/{invitation['id']}/data", headers=headers).get_json()
    assert data["cover_media_id"] is None
