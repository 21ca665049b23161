"""The signed-in user's own account: read, change, delete."""

import io
from urllib.parse import urlsplit

from sqlalchemy import select

from extensions import db
from models.invitation import Invitation
from models.order import Order
from models.user import User
from services import provisioning
from tests.factories import DEFAULT_PASSWORD
from tests.guest_fixtures import published_invitation
from tests.invitation_fixtures import paid_invitation
from tests.media_files import jpeg, silent_mp3


def test_me_returns_the_profile(client, make, auth_headers):
    user = make.user(first_name="Rosa")
    body = client.get("/api/users/me", headers=auth_headers(user)).get_json()
    assert body["user"]["first_name"] == "Rosa"
    assert set(body["user"]) >= {"id", "email", "role", "is_active", "created_at", "phone"}


def test_patch_changes_names_and_phone(client, make, auth_headers):
    user = make.user()
    response = client.patch(
        "/api/users/me",
        headers=auth_headers(user),
        json={"first_name": "María José", "phone": "+51 912 345 678"},
    )
    assert response.status_code == 200
    assert response.get_json()["user"]["first_name"] == "María José"
    db.session.refresh(user)
    assert user.phone == "+51 912 345 678"


def test_patch_refuses_role_email_and_is_active(client, make, auth_headers):
    user = make.user()
    for field, value in (("role", "admin"), ("email", "x@y.pe"), ("is_active", False)):
        response = client.patch("/api/users/me", headers=auth_headers(user), json={field: value})
        assert response.status_code == 422
        assert field in response.get_json()["details"]
    db.session.refresh(user)
    assert user.role == "user" and user.is_active


def test_delete_needs_the_password(client, make, auth_headers):
    user = make.user()
    response = client.delete(
        "/api/users/me", headers=auth_headers(user), json={"password": "wrong-one1"}
    )
    assert response.status_code == 401
    db.session.refresh(user)
    assert user.is_active


def test_delete_disables_erases_and_keeps_orders(client, make, auth_headers):
    user = make.user(email="borrar@example.com", first_name="Borrar", phone="+51 999 999 999")
    template = make.template()
    db.session.add(Invitation(user_id=user.id, template_id=template.id, title="Boda"))
    db.session.add(Order(order_number="ORD-20261128-KEEP01", user_id=user.id, subtotal=1, total=1))
    db.session.commit()
    headers = auth_headers(user)

    response = client.delete("/api/users/me", headers=headers, json={"password": DEFAULT_PASSWORD})

    assert response.status_code == 204
    stored = db.session.scalar(select(User).where(User.id == user.id))
    db.session.refresh(stored)
    assert not stored.is_active
    assert "borrar" not in stored.email and stored.first_name == "" and stored.phone is None
    assert db.session.scalar(select(Invitation)) is None
    assert db.session.scalar(select(Order)).user_id == user.id
    login = client.post(
        "/api/auth/login", json={"email": "borrar@example.com", "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 401
    assert login.get_json()["error"] == "invalid_credentials"
    me = client.get("/api/users/me", headers=headers)
    assert me.status_code == 401
    assert me.get_json()["error"] == "unauthorized"


# --- Erasure: files and codes -------------------------------------------------------------


def erase(client, headers) -> None:
    response = client.delete("/api/users/me", headers=headers, json={"password": DEFAULT_PASSWORD})
    assert response.status_code == 204, response.get_json()


def upload(client, headers, invitation_id, content, media_type, name="foto.jpg") -> dict:
    response = client.post(
        f"/api/editor/{invitation_id}/media",
        data={"file": (io.BytesIO(content), name), "media_type": media_type},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def served(client, url_or_key: str) -> int:
    """The status of GET /media/<key> (or of a local media URL)."""
    path = urlsplit(url_or_key).path if "://" in url_or_key else f"/media/{url_or_key}"
    with client.get(path) as response:
        return response.status_code


def couple_with_every_kind_of_file(client, headers) -> list[str]:
    """A published invitation with its card, a photo, cover, music, gift QR and share image:
    the stored files' keys."""
    invitation = published_invitation(client, headers)
    for media_type in ("photo", "cover", "gift_qr"):
        upload(client, headers, invitation["id"], jpeg(), media_type)
    upload(client, headers, invitation["id"], silent_mp3(), "music", "cancion.mp3")
    upload(client, headers, invitation["id"], jpeg(1200, 630), "og_image")
    db.session.rollback()
    row = db.session.get(Invitation, invitation["id"])
    keys = [key for media in row.media for key in (media.storage_key, media.thumbnail_key) if key]
    keys.append(row.preview_card_key)
    assert len(keys) == 10 and None not in keys
    return keys


def test_erasure_removes_every_stored_file_and_their_urls_are_404(
    client, make, auth_headers, media_root
):
    couple = auth_headers(make.user())
    keys = couple_with_every_kind_of_file(client, couple)
    stranger = auth_headers(make.user())
    kept = upload(client, stranger, published_invitation(client, stranger)["id"], jpeg(), "photo")
    assert {served(client, key) for key in keys} == {200}

    erase(client, couple)

    assert {key: served(client, key) for key in keys} == dict.fromkeys(keys, 404)
    assert served(client, kept["url"]) == served(client, kept["thumbnail_url"]) == 200


def test_erasure_removes_the_files_from_the_ftps_server(client, make, auth_headers, on_ftps):
    couple = auth_headers(make.user())
    keys = couple_with_every_kind_of_file(client, couple)
    assert set(keys) <= set(on_ftps.files())

    erase(client, couple)

    assert on_ftps.files() == []


def test_an_erased_couples_codes_never_go_to_another_invitation(
    client, make, auth_headers, monkeypatch
):
    headers = auth_headers(make.user())
    invitation = paid_invitation(client, headers)
    urls = f"/api/invitations/{invitation['id']}/urls"
    slug = client.post(urls, json={"kind": "custom", "slug": "ana-y-luis"}, headers=headers)
    guest = client.post(
        urls, json={"kind": "guest", "guest_name": "Tía Rosa", "max_guests": 2}, headers=headers
    )
    assert (slug.status_code, guest.status_code) == (201, 201)
    erase(client, headers)
    stranger = auth_headers(make.user())
    theirs = paid_invitation(client, stranger)
    their_urls = f"/api/invitations/{theirs['id']}/urls"

    refused = [
        client.post(their_urls, json={"kind": "custom", "slug": code}, headers=stranger)
        for code in ("ANA-y-Luis", invitation["main_code"], guest.get_json()["code"])
    ]
    drawn = iter([guest.get_json()["code"], invitation["main_code"], "fresh00001"])
    monkeypatch.setattr(provisioning, "_random_code", lambda: next(drawn))
    new_guest = client.post(
        their_urls, json={"kind": "guest", "guest_name": "Rosa", "max_guests": 1}, headers=stranger
    )

    assert [(r.status_code, r.get_json().get("error")) for r in refused] == [
        (409, "slug_taken")
    ] * 3
    assert new_guest.get_json()["code"] == "fresh00001"
    assert client.get("/r/ana-y-luis").status_code == 404
