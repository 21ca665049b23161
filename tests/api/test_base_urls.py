"""Absolute URLs come from configuration only (docs/editor-and-media.md, "Media";
docs/configuration.md, "Configuration"): no
header a client sends reaches a shared cached page, and every stored file's URL is built
when served, so a restore under a new PUBLIC_BASE_URL moves every photo, template image
and share image with it."""

import io

import pytest
from sqlalchemy import select

from extensions import db
from models.template import Template
from services.seed import seed_reference_data
from tests.api.test_short_links import CRAWLERS, meta_tags
from tests.guest_fixtures import page, published_invitation
from tests.media_files import jpeg
from utils.media import local_app_url

OLD_BASE = "https://old.invitaciones.example"
NEW_BASE = "https://invitaciones.example"
CDN = "https://cdn.invitaciones.example/files"
HOSTILE = {
    "Host": "evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "http",
    "X-Forwarded-For": "203.0.113.9",
    "X-Original-Host": "evil.example",
    "Forwarded": "host=evil.example;proto=http",
}


@pytest.fixture(params=["in-process", "redis"])
def cache_settings(request):
    """The public page cache in this process, or shared through Redis."""
    if request.param == "in-process":
        return {}
    return {
        "REDIS_URL": request.getfixturevalue("redis_url"),
        "REDIS_KEY_PREFIX": request.getfixturevalue("redis_prefix"),
    }


def crawler_page(client, code: str, **headers) -> dict[str, str]:
    response = client.get(f"/r/{code}", headers={"User-Agent": CRAWLERS[0], **headers})
    assert response.status_code == 200
    return meta_tags(response.get_data(as_text=True))


def upload(client, headers, invitation_id: int, media_type: str) -> dict:
    response = client.post(
        f"/api/editor/{invitation_id}/media",
        data={"file": (io.BytesIO(jpeg(900, 600)), "foto.jpg"), "media_type": media_type},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("public_base_url", [NEW_BASE, None])
def test_hostile_host_headers_never_reach_the_cached_page_or_the_crawler_page(
    new_app, cache_settings, headers, media_root, public_base_url
):
    app = new_app(TRUSTED_PROXIES=1, PUBLIC_BASE_URL=public_base_url, **cache_settings)
    app.config["MEDIA_ROOT"] = str(media_root)
    client = app.test_client()
    base = public_base_url or local_app_url()
    code = published_invitation(client, headers)["main_code"]

    poisoned = page(client, code, **HOSTILE)
    poisoned_crawler = crawler_page(client, code, **HOSTILE)
    normal = page(client, code)
    crawler = crawler_page(client, code)

    for response in (poisoned, normal):
        assert response.status_code == 200
        assert b"evil.example" not in response.get_data()
        assert response.get_json()["calendar_url"].startswith(f"{base}/api/public/invitations/")
    assert poisoned.headers["ETag"] == normal.headers["ETag"]
    for tags in (poisoned_crawler, crawler):
        assert tags["og:url"] == f"{base}/r/{code}"
        assert tags["og:image"].startswith(f"{base}/media/cards/")


def test_query_strings_and_request_headers_do_not_vary_the_cached_page(
    new_app, cache_settings, headers, media_root
):
    app = new_app(PUBLIC_BASE_URL=NEW_BASE, **cache_settings)
    app.config["MEDIA_ROOT"] = str(media_root)
    client = app.test_client()
    code = published_invitation(client, headers)["main_code"]

    first = client.get(
        f"/api/public/invitations/{code}?calendar_url=https://evil.example&lang=en",
        headers={"Accept-Language": "en", "Accept": "text/html", "Origin": "https://evil.example"},
    )
    second = page(client, code)

    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    assert b"evil.example" not in second.get_data()
    crawler = {"User-Agent": CRAWLERS[0]}
    shared = client.get(f"/r/{code}?og_url=https://evil.example&fbclid=1", headers=crawler)
    assert shared.get_data() == client.get(f"/r/{code}", headers=crawler).get_data()
    assert b"evil.example" not in shared.get_data()


def test_every_stored_file_follows_the_base_url_after_a_restore(
    new_app, headers, media_root, redis_url, redis_prefix
):
    shared = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": redis_prefix}
    before = new_app(PUBLIC_BASE_URL=OLD_BASE, MEDIA_ROOT=str(media_root), **shared)
    with before.app_context():
        seed_reference_data(None, None)
        template = db.session.scalars(select(Template).order_by(Template.id)).first()
        template_id = template.id
    old = before.test_client()
    invitation = published_invitation(old, headers, template=template)
    photo = upload(old, headers, invitation["id"], "photo")
    code = invitation["main_code"]
    assert photo["url"].startswith(f"{OLD_BASE}/media/uploads/")
    assert page(old, code).get_json()["media"]
    assert crawler_page(old, code)["og:image"].startswith(f"{OLD_BASE}/media/cards/")

    # The same database (and Redis) served under a new address, as after a restore.
    after = new_app(PUBLIC_BASE_URL=NEW_BASE, MEDIA_ROOT=str(media_root), **shared)
    new = after.test_client()

    served = new.get(f"/api/editor/{invitation['id']}/media", headers=headers).get_json()["items"]
    assert {item["url"].split("/media/")[0] for item in served} == {NEW_BASE}
    assert all(item["thumbnail_url"].startswith(f"{NEW_BASE}/media/") for item in served)
    public = page(new, code).get_json()
    assert public["media"] and all(m["url"].startswith(NEW_BASE + "/") for m in public["media"])
    assert public["calendar_url"].startswith(NEW_BASE + "/")
    assert OLD_BASE.encode() not in page(new, code).get_data()
    tags = crawler_page(new, code)
    assert tags["og:image"].startswith(f"{NEW_BASE}/media/cards/")
    assert tags["og:url"] == f"{NEW_BASE}/r/{code}"
    catalogue = new.get(f"/api/templates/{template_id}").get_json()
    assert catalogue["preview_url"] == f"{NEW_BASE}/media/{template.preview_url}"
    assert catalogue["thumbnail_url"].startswith(f"{NEW_BASE}/media/templates/")
    with new.get(catalogue["preview_url"].removeprefix(NEW_BASE)) as image:
        assert image.status_code == 200
    owned = new.get(f"/api/invitations/{invitation['id']}", headers=headers).get_json()
    assert owned["template"]["preview_url"].startswith(f"{NEW_BASE}/media/templates/")
    assert owned["media"][0]["url"].startswith(f"{NEW_BASE}/media/uploads/")

    # A CDN in front of the media moves them all again, the site's own links staying.
    cdn = new_app(PUBLIC_BASE_URL=NEW_BASE, MEDIA_BASE_URL=CDN, MEDIA_ROOT=str(media_root))
    cdn_client = cdn.test_client()
    assert page(cdn_client, code).get_json()["media"][0]["url"].startswith(f"{CDN}/uploads/")
    assert crawler_page(cdn_client, code)["og:image"].startswith(f"{CDN}/cards/")
    assert cdn_client.get(f"/api/templates/{template_id}").get_json()["preview_url"] == (
        f"{CDN}/{template.preview_url}"
    )


def test_a_template_image_is_stored_as_a_key_unless_it_is_someone_elses_url(
    client, make, auth_headers
):
    admin = auth_headers(make.user(role="admin"))
    template = make.template(preview_url="templates/brisa/preview.jpg")
    ours = client.get(f"/api/templates/{template.id}").get_json()["preview_url"]
    assert ours == f"{local_app_url()}/media/templates/brisa/preview.jpg"

    changes = {"preview_url": ours, "thumbnail_url": "https://fotos.example.pe/brisa.jpg"}
    response = client.patch(f"/api/admin/templates/{template.id}", json=changes, headers=admin)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["preview_url"] == ours
    assert response.get_json()["thumbnail_url"] == "https://fotos.example.pe/brisa.jpg"
    stored = db.session.get(Template, template.id)
    assert (stored.preview_url, stored.thumbnail_url) == (
        "templates/brisa/preview.jpg",
        "https://fotos.example.pe/brisa.jpg",
    )
