"""A customer takes a paid invitation from empty to published, through the API only."""

import io
from urllib.parse import urlsplit

from PIL import Image

from tests.invitation_fixtures import paid_invitation


def jpeg(width: int, height: int, colour=(200, 80, 120)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=90)
    buffer.seek(0)
    return buffer


def upload(client, headers, invitation_id, media_type, image, name="foto.jpg"):
    return client.post(
        f"/api/editor/{invitation_id}/media",
        data={"file": (image, name), "media_type": media_type},
        content_type="multipart/form-data",
        headers=headers,
    )


def test_from_empty_to_published(client, make, auth_headers, media_root):
    headers = auth_headers(make.user())
    invitation = paid_invitation(client, headers)
    invitation_id = invitation["id"]

    refused = client.post(f"/api/invitations/{invitation_id}/publish", headers=headers)
    assert refused.status_code == 422

    data = client.get(f"/api/editor/{invitation_id}/data", headers=headers)
    etag = data.headers["ETag"]
    saved = client.patch(
        f"/api/editor/{invitation_id}/data",
        json={
            "couple_bride_name": "Ana",
            "couple_groom_name": "Luis",
            "event_date": "2027-03-14T20:00:00-05:00",
            "ceremony_venue_name": "Parroquia Virgen del Pilar",
            "theme_primary_color": "#224466",
        },
        headers={**headers, "If-Match": etag},
    )
    assert saved.status_code == 200, saved.get_json()
    assert saved.headers["ETag"] != etag

    ceremony = client.post(
        f"/api/editor/{invitation_id}/events",
        json={"event_type": "ceremonia_religiosa", "title": "Ceremonia"},
        headers=headers,
    )
    party = client.post(
        f"/api/editor/{invitation_id}/events",
        json={"event_type": "fiesta", "title": "Fiesta"},
        headers=headers,
    )
    assert (ceremony.status_code, party.status_code) == (201, 201)

    cover = upload(client, headers, invitation_id, "cover", jpeg(2400, 1600))
    photos = [upload(client, headers, invitation_id, "photo", jpeg(800, 600)) for _ in range(2)]
    assert cover.status_code == 201, cover.get_json()
    assert [photo.status_code for photo in photos] == [201, 201]
    assert max(cover.get_json()["width"], cover.get_json()["height"]) == 1920

    current = client.get(f"/api/editor/{invitation_id}/data", headers=headers)
    linked = client.patch(
        f"/api/editor/{invitation_id}/data",
        json={"cover_media_id": cover.get_json()["id"]},
        headers={**headers, "If-Match": current.headers["ETag"]},
    )
    assert linked.status_code == 200, linked.get_json()

    published = client.post(f"/api/invitations/{invitation_id}/publish", headers=headers)
    assert published.status_code == 200, published.get_json()
    body = published.get_json()
    assert body["is_published"] is True
    assert [event["title"] for event in body["events"]] == ["Ceremonia", "Fiesta"]
    assert [item["media_type"] for item in body["media"]].count("photo") == 2
    assert body["data"]["cover_media_id"] == cover.get_json()["id"]

    with client.get(urlsplit(cover.get_json()["url"]).path) as served:
        assert served.status_code == 200
        assert served.mimetype == "image/jpeg"
