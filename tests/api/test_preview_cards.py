"""The generated WhatsApp card: drawn on publish and when what it shows changes, never else."""

import io

import pytest
from PIL import Image, ImageStat
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from extensions import db
from models.invitation import Invitation
from services import preview_cards
from tests.api.test_short_links import CRAWLERS, meta_tags
from tests.guest_fixtures import edit_data, page, published_invitation
from tests.invitation_fixtures import paid_invitation
from tests.media_files import jpeg
from utils.ftp_manager import FtpsClient, FtpsError, FtpsSettings
from utils.media import local_app_url
from utils.storage import LocalStorage, StorageError

GREEN = (20, 160, 60)


def upload(client, headers, invitation_id, content, media_type="cover"):
    response = client.post(
        f"/api/editor/{invitation_id}/media",
        data={"file": (io.BytesIO(content), "foto.jpg"), "media_type": media_type},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def card_row(invitation_id: int) -> Invitation:
    db.session.rollback()
    return db.session.get(Invitation, invitation_id)


def card_files(root) -> list[str]:
    folder = root / preview_cards.CARD_FOLDER
    return sorted(path.name for path in folder.glob("*")) if folder.exists() else []


def card_image(root, invitation_id: int) -> tuple[bytes, Image.Image]:
    content = (root / card_row(invitation_id).preview_card_key).read_bytes()
    return content, Image.open(io.BytesIO(content))


def crawler_tags(client, code: str) -> dict[str, str]:
    response = client.get(f"/r/{code}", headers={"User-Agent": CRAWLERS[0]})
    return meta_tags(response.get_data(as_text=True))


def mean_colour(image: Image.Image, box) -> tuple[float, ...]:
    return tuple(ImageStat.Stat(image.convert("RGB").crop(box)).mean)


@pytest.fixture
def published(client, headers, media_root):
    return published_invitation(client, headers)


def test_publishing_draws_a_small_1200x630_jpeg_without_metadata(client, published, media_root):
    row = card_row(published["id"])
    content, image = card_image(media_root, published["id"])

    assert row.preview_card_key == f"cards/{published['id']}-{row.preview_card_hash[:16]}.jpg"
    assert row.preview_card_url == f"{local_app_url()}/media/{row.preview_card_key}"
    assert image.format == "JPEG" and image.size == (1200, 630)
    assert len(content) < 300_000
    assert image.info.get("progressive") or image.info.get("progression")
    assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
    served = client.get(f"/media/{row.preview_card_key}")
    assert served.status_code == 200 and served.get_data() == content
    served.close()
    tags = crawler_tags(client, published["main_code"])
    assert tags["og:image"] == row.preview_card_url
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["og:image:type"] == "image/jpeg"
    assert tags["twitter:card"] == "summary_large_image"


def test_a_cover_uploaded_through_the_api_shows_above_the_overlay(
    client, headers, published, media_root
):
    plain_url = card_row(published["id"]).preview_card_url
    _, plain = card_image(media_root, published["id"])

    upload(client, headers, published["id"], jpeg(1600, 1000, GREEN))

    row = card_row(published["id"])
    assert row.preview_card_url != plain_url
    _, card = card_image(media_root, published["id"])
    # Top right: the photo as it is (the overlay darkens the lower part, the marker of
    # jpeg() is in the top-left corner).
    red, green, blue = mean_colour(card, (800, 30, 1150, 150))
    assert abs(red - GREEN[0]) < 12 and abs(green - GREEN[1]) < 12 and abs(blue - GREEN[2]) < 12
    assert mean_colour(plain, (800, 30, 1150, 150)) != pytest.approx((red, green, blue), abs=12)
    assert card_files(media_root) == [row.preview_card_key.split("/")[1]]


def test_the_card_changes_with_the_names_and_only_then(client, headers, published, media_root):
    first = card_row(published["id"])
    first_url, first_hash, first_key = (
        first.preview_card_url,
        first.preview_card_hash,
        first.preview_card_key,
    )
    written = (media_root / first_key).stat().st_mtime_ns

    edit_data(client, headers, published["id"], story_text="Nos conocimos en Cusco.")

    assert card_row(published["id"]).preview_card_url == first_url
    assert (media_root / first_key).stat().st_mtime_ns == written  # not drawn again
    assert card_files(media_root) == [first_key.split("/")[1]]

    edit_data(client, headers, published["id"], couple_groom_name="José")

    second = card_row(published["id"])
    assert second.preview_card_hash != first_hash
    assert second.preview_card_url != first_url
    assert second.preview_card_key.endswith(f"-{second.preview_card_hash[:16]}.jpg")
    assert card_files(media_root) == [second.preview_card_key.split("/")[1]]  # old one gone


def test_the_date_and_the_template_colours_are_part_of_the_card(client, headers, make, media_root):
    plain = make.template()
    coloured = make.template(config={"colors": {"primary": "#102030", "secondary": "#A0B0C0"}})
    invitation = published_invitation(client, headers, template=plain)
    urls = [card_row(invitation["id"]).preview_card_url]

    edit_data(client, headers, invitation["id"], event_date="2027-04-10T22:00:00Z")
    urls.append(card_row(invitation["id"]).preview_card_url)
    response = client.patch(
        f"/api/invitations/{invitation['id']}", json={"template_id": coloured.id}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    urls.append(card_row(invitation["id"]).preview_card_url)

    assert len(set(urls)) == 3
    assert len(card_files(media_root)) == 1


def test_an_og_image_wins_over_the_card(client, headers, published, media_root):
    card_url = card_row(published["id"]).preview_card_url

    og_image = upload(client, headers, published["id"], jpeg(1200, 700), media_type="og_image")

    tags = crawler_tags(client, published["main_code"])
    assert tags["og:image"] == og_image["url"]
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "700")
    assert tags["og:image:type"] == "image/jpeg"
    edit_data(client, headers, published["id"], couple_groom_name="José")
    assert card_row(published["id"]).preview_card_url == card_url  # no card is drawn meanwhile

    response = client.delete(
        f"/api/editor/{published['id']}/media/{og_image['id']}", headers=headers
    )
    assert response.status_code == 204
    new_card = card_row(published["id"]).preview_card_url
    assert new_card != card_url
    assert crawler_tags(client, published["main_code"])["og:image"] == new_card


def test_unpublished_invitations_draw_nothing(client, headers, media_root):
    draft = paid_invitation(client, headers)
    edit_data(client, headers, draft["id"], couple_bride_name="Ana", couple_groom_name="Luis")
    upload(client, headers, draft["id"], jpeg())

    assert card_files(media_root) == []
    assert card_row(draft["id"]).preview_card_url is None

    client.post(f"/api/invitations/{draft['id']}/publish", headers=headers)  # no date yet: 422
    assert card_files(media_root) == []


def test_a_storage_failure_keeps_the_old_card_and_the_edit(
    client, headers, published, media_root, monkeypatch
):
    before = card_row(published["id"])
    url, key = before.preview_card_url, before.preview_card_key

    def refuse(self, key, content):
        raise StorageError("disk full")

    monkeypatch.setattr(LocalStorage, "save", refuse)
    edit_data(client, headers, published["id"], couple_groom_name="José")

    assert card_row(published["id"]).preview_card_url == url
    assert (media_root / key).exists()
    assert page(client, published["main_code"]).get_json()["data"]["couple_groom_name"] == "José"


def test_a_database_failure_when_recording_deletes_the_new_card(
    client, headers, published, media_root
):
    before = card_row(published["id"])

    def database_gone(session, _context, _instances):
        for row in session.dirty:
            if isinstance(row, Invitation) and row.preview_card_hash != before.preview_card_hash:
                raise OperationalError("UPDATE invitations", {}, Exception("server has gone away"))

    event.listen(Session, "before_flush", database_gone)
    try:
        edit_data(client, headers, published["id"], couple_groom_name="José")
    finally:
        event.remove(Session, "before_flush", database_gone)

    after = card_row(published["id"])
    assert after.preview_card_url == before.preview_card_url
    assert card_files(media_root) == [before.preview_card_key.split("/")[1]]  # no orphan


def test_the_public_page_and_the_crawler_follow_a_names_change(
    client, headers, published, media_root
):
    code = published["main_code"]
    assert page(client, code).get_json()["data"]["couple_groom_name"] == "Luis"
    old_image = crawler_tags(client, code)["og:image"]

    edit_data(client, headers, published["id"], couple_groom_name="José")

    assert page(client, code).get_json()["data"]["couple_groom_name"] == "José"
    tags = crawler_tags(client, code)
    assert tags["og:title"].startswith("Ana & José · ")
    assert tags["og:image"] != old_image
    assert tags["og:image"] == card_row(published["id"]).preview_card_url


def test_the_etag_of_a_save_stays_valid_after_the_card_is_drawn_again(
    client, headers, published, media_root
):
    url = f"/api/editor/{published['id']}/data"
    first = client.patch(url, json={"couple_groom_name": "José"}, headers=headers)
    assert first.status_code == 200

    second = client.patch(
        url,
        json={"subtitle": "¡Nos casamos!"},
        headers={**headers, "If-Match": first.headers["ETag"]},
    )

    assert second.status_code == 200, second.get_json()


def test_deleting_the_invitation_removes_its_card(client, headers, published, media_root):
    assert card_files(media_root)

    assert client.delete(f"/api/invitations/{published['id']}", headers=headers).status_code == 204

    assert card_files(media_root) == []
    assert card_row(published["id"]).preview_card_url is None


# --- FTPS --------------------------------------------------------------------------------


def test_a_stored_file_is_read_back_whole_from_ftps_and_a_missing_one_is_refused(ftps):
    client = FtpsClient(FtpsSettings.from_config(ftps.config()), retries=2)
    content = bytes(range(256)) * 400
    client.upload("uploads/ab/photo.jpg", content)

    assert client.download("uploads/ab/photo.jpg") == content
    with pytest.raises(FtpsError, match="refused"):
        client.download("uploads/ab/missing.jpg")


def test_on_ftps_the_card_is_drawn_from_the_stored_cover_and_stored_there(client, headers, on_ftps):
    invitation = published_invitation(client, headers)
    first_key = card_row(invitation["id"]).preview_card_key
    assert first_key in on_ftps.files()

    cover = upload(client, headers, invitation["id"], jpeg(1600, 1000, GREEN))

    row = card_row(invitation["id"])
    assert row.preview_card_url == f"https://cdn.example.pe/media/{row.preview_card_key}"
    assert first_key not in on_ftps.files()
    assert row.preview_card_key in on_ftps.files()
    card = Image.open(io.BytesIO((on_ftps.root / row.preview_card_key).read_bytes()))
    red, green, blue = mean_colour(card, (800, 30, 1150, 150))
    assert green > 130 and red < 50 and blue < 90
    assert cover["url"].startswith("https://cdn.example.pe/media/uploads/")
