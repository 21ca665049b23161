"""Uploads are bounded: a rate limit per IP, one file per single-slot type, a draft's plan."""

from decimal import Decimal

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from extensions import db
from models.invitation_data import InvitationData
from models.invitation_media import InvitationMedia
from tests.api.test_editor_media import stored_files, upload
from tests.invitation_fixtures import create_draft, paid_invitation
from tests.media_files import jpeg

SINGLE_SLOT_TYPES = ("cover", "og_image", "gift_qr")


def media_types(invitation_id: int) -> list[str]:
    return sorted(
        db.session.scalars(
            select(InvitationMedia.media_type).where(InvitationMedia.invitation_id == invitation_id)
        )
    )


def test_seventy_quick_uploads_onto_an_unpaid_draft_are_bounded(
    new_app, make, auth_headers, tmp_path
):
    make.plan(price=Decimal("99.00"), features={"max_photos": 3})
    make.plan(price=Decimal("249.00"), features={"max_photos": 50})
    app = new_app(RATELIMIT_ENABLED=True, RATELIMIT_UPLOADS="60 per hour", MEDIA_ROOT=str(tmp_path))
    client = app.test_client()
    headers = auth_headers(make.user())
    draft = create_draft(client, headers, make.template())
    kinds = ("photo", *SINGLE_SLOT_TYPES)
    photo = jpeg(40, 30)

    statuses = [
        upload(client, headers, draft["id"], photo, kinds[n % len(kinds)]).status_code
        for n in range(70)
    ]

    assert statuses[60:] == [429] * 10
    # 15 photos, 3 within the cheapest active plan; 45 single-slot uploads replacing each other.
    assert statuses[:60].count(201) == 3 + 45
    assert set(statuses[:60]) == {201, 403}
    # One file of each single-slot type and the plan's photos: 6 rows, 12 files.
    assert media_types(draft["id"]) == ["cover", "gift_qr", "og_image", "photo", "photo", "photo"]
    assert len(stored_files(tmp_path)) == 12


@pytest.mark.parametrize("media_type", SINGLE_SLOT_TYPES)
def test_a_single_slot_upload_replaces_the_previous_file(client, headers, media_root, media_type):
    invitation = paid_invitation(client, headers)
    first = upload(client, headers, invitation["id"], jpeg(colour=(255, 0, 0)), media_type)
    photo = upload(client, headers, invitation["id"], jpeg())
    assert (first.status_code, photo.status_code) == (201, 201)
    old = first.get_json()

    second = upload(client, headers, invitation["id"], jpeg(colour=(0, 0, 255)), media_type)

    assert second.status_code == 201, second.get_json()
    new = second.get_json()
    listed = client.get(f"/api/editor/{invitation['id']}/media", headers=headers).get_json()
    assert [(item["id"], item["media_type"]) for item in listed["items"]] == [
        (new["id"], media_type),
        (photo.get_json()["id"], "photo"),
    ]
    assert len(stored_files(media_root)) == 4
    for url in (old["url"], old["thumbnail_url"]):
        assert client.get(url.removeprefix("http://localhost")).status_code == 404
    with client.get(new["url"].removeprefix("http://localhost")) as served:
        assert served.status_code == 200


def test_the_data_naming_the_replaced_cover_names_the_new_one(client, headers, media_root):
    invitation = paid_invitation(client, headers)
    base = f"/api/editor/{invitation['id']}"
    cover = upload(client, headers, invitation["id"], jpeg(), "cover").get_json()
    saved = client.patch(
        f"{base}/data",
        json={"cover_media_id": cover["id"], "og_image_media_id": cover["id"]},
        headers=headers,
    )
    assert saved.status_code == 200, saved.get_json()

    new = upload(client, headers, invitation["id"], jpeg(), "cover").get_json()

    data = client.get(f"{base}/data", headers=headers).get_json()
    assert (data["cover_media_id"], data["og_image_media_id"]) == (new["id"], new["id"])


def test_a_failed_replacement_keeps_the_previous_file(client, headers, media_root):
    invitation = paid_invitation(client, headers)
    cover = upload(client, headers, invitation["id"], jpeg(), "cover").get_json()
    client.patch(
        f"/api/editor/{invitation['id']}/data",
        json={"cover_media_id": cover["id"]},
        headers=headers,
    )
    kept = stored_files(media_root)

    def database_gone(session, _context, _instances):
        if any(isinstance(row, InvitationMedia) for row in session.new):
            raise OperationalError("INSERT INTO invitation_media", {}, Exception("gone away"))

    corrupt = upload(client, headers, invitation["id"], jpeg()[:200], "cover")
    event.listen(Session, "before_flush", database_gone)
    try:
        failed = upload(client, headers, invitation["id"], jpeg(), "cover")
    finally:
        event.remove(Session, "before_flush", database_gone)

    assert (corrupt.status_code, failed.status_code) == (422, 503)
    assert stored_files(media_root) == kept
    assert db.session.scalars(select(InvitationMedia.id)).all() == [cover["id"]]
    data = db.session.scalar(
        select(InvitationData).where(InvitationData.invitation_id == invitation["id"])
    )
    assert data.cover_media_id == cover["id"]
    with client.get(cover["url"].removeprefix("http://localhost")) as served:
        assert served.status_code == 200
