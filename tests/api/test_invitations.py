"""A customer's invitations: drafts, the basics, publishing, deletion, and nobody else's."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from extensions import db
from models.invitation import Invitation
from models.invitation_event import InvitationEvent
from models.invitation_media import InvitationMedia
from models.invitation_url import KIND_GUEST, InvitationUrl
from tests.invitation_fixtures import create_draft, paid_invitation, recorded_statements

DESIGN = {
    "colors": {"primary": "#aa3355", "secondary": "not a colour"},
    "fonts": {"title": "Playfair Display", "body": "Lato"},
    "sections": ["cover", "events", "rsvp"],
}


def publishable(client, headers, invitation_id, **extra):
    data = {"event_date": "2027-03-14T20:00:00Z", "couple_bride_name": "Ana", **extra}
    invitation = db.session.get(Invitation, invitation_id)
    for name, value in data.items():
        if name == "event_date":
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        setattr(invitation.data, name, value)
    db.session.commit()


def test_a_draft_starts_from_its_templates_design(client, make, headers):
    template = make.template(name="Eterno Amor", config=DESIGN)

    draft = create_draft(client, headers, template)

    assert draft["title"] == "Eterno Amor"
    assert draft["template"]["id"] == template.id
    assert (draft["plan"], draft["order_number"], draft["is_published"]) == (None, None, False)
    assert re.fullmatch(r"[a-z0-9]{8,}", draft["main_code"])
    assert [url["kind"] for url in draft["urls"]] == ["main"]
    assert draft["urls"][0]["url"].endswith(f"/r/{draft['main_code']}")
    data = draft["data"]
    assert data["theme_primary_color"] == "#AA3355"
    assert data["theme_secondary_color"] is None
    assert (data["theme_font_title"], data["theme_font_body"]) == ("Playfair Display", "Lato")
    assert data["sections"] == ["cover", "events", "rsvp"]
    assert (draft["events"], draft["media"], draft["online_until"]) == ([], [], None)


def test_two_drafts_get_different_main_codes_and_an_own_title(client, make, headers):
    template = make.template()

    first = create_draft(client, headers, template, title="Boda de Ana y Luis")
    second = create_draft(client, headers, template)

    assert first["title"] == "Boda de Ana y Luis"
    assert first["main_code"] != second["main_code"]


@pytest.mark.parametrize("case", ["unknown", "inactive"])
def test_a_draft_needs_an_active_template(client, make, headers, case):
    template_id = make.template(is_active=False).id if case == "inactive" else 999_999

    response = client.post("/api/invitations", json={"template_id": template_id}, headers=headers)

    assert response.status_code == 422
    assert "template_id" in response.get_json()["details"]
    assert db.session.query(Invitation).count() == 0


def test_the_list_shows_own_invitations_newest_first_with_plan_code_and_date(client, make, headers):
    template = make.template()
    older = create_draft(client, headers, template, title="Primera")
    paid = paid_invitation(client, headers, template=template)
    publishable(client, headers, paid["id"])
    create_draft(client, headers_for_someone_else(make), template)

    page = client.get("/api/invitations?per_page=1", headers=headers).get_json()
    everything = client.get("/api/invitations", headers=headers).get_json()

    assert (page["total"], page["pages"], len(page["items"])) == (2, 2, 1)
    assert [item["id"] for item in everything["items"]] == [paid["id"], older["id"]]
    newest = everything["items"][0]
    assert newest["plan"]["name"] == paid["plan"]["name"]
    assert newest["main_code"] == paid["main_code"]
    assert newest["event_date"] == "2027-03-14T20:00:00+00:00"
    assert everything["items"][1]["plan"] is None


def headers_for_someone_else(make):
    from services.tokens import issue_token_pair

    return {"Authorization": f"Bearer {issue_token_pair(make.user())['access_token']}"}


def add_content(invitation_id: int, count: int) -> None:
    for n in range(count):
        db.session.add(
            InvitationEvent(invitation_id=invitation_id, event_type="fiesta", title=f"E{n}")
        )
        db.session.add(
            InvitationMedia(
                invitation_id=invitation_id,
                media_type="photo",
                storage_key=f"k{invitation_id}-{n}.jpg",
                mime_type="image/jpeg",
                size_bytes=10,
                sha256="0" * 64,
            )
        )
        db.session.add(
            InvitationUrl(
                invitation_id=invitation_id,
                kind=KIND_GUEST,
                code=f"g{invitation_id}x{n}",
                guest_name=f"G{n}",
                max_guests=2,
            )
        )
    db.session.commit()


def test_one_invitation_costs_the_same_queries_whatever_it_holds(client, make, headers):
    template = make.template()
    small = create_draft(client, headers, template)["id"]
    large = create_draft(client, headers, template)["id"]
    add_content(small, 1)
    add_content(large, 50)

    counts = {}
    for invitation_id in (small, large):
        with recorded_statements() as statements:
            response = client.get(f"/api/invitations/{invitation_id}", headers=headers)
        assert response.status_code == 200
        counts[invitation_id] = len(statements)

    body = response.get_json()
    assert (len(body["events"]), len(body["media"]), len(body["urls"])) == (50, 50, 51)
    assert counts[small] == counts[large] <= 8, counts


def test_patch_renames_and_moves_a_draft_to_another_template(client, make, headers):
    draft = create_draft(client, headers, make.template())
    other = make.template(price=Decimal("99.00"))

    response = client.patch(
        f"/api/invitations/{draft['id']}",
        json={"title": "Nuevo título", "template_id": other.id},
        headers=headers,
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["title"] == "Nuevo título"
    assert response.get_json()["template"]["id"] == other.id
    assert response.get_json()["version"] > draft["version"]


def test_a_paid_invitation_cannot_move_to_a_dearer_template(client, make, headers):
    paid = paid_invitation(client, headers, template=make.template(price=Decimal("0.00")))
    dearer = make.template(price=Decimal("50.00"))

    response = client.patch(
        f"/api/invitations/{paid['id']}", json={"template_id": dearer.id}, headers=headers
    )

    assert response.status_code == 422
    assert "template_id" in response.get_json()["details"]
    assert db.session.get(Invitation, paid["id"]).template_id == paid["template"]["id"]


def test_patch_refuses_unknown_fields(client, make, headers):
    draft = create_draft(client, headers, make.template())

    response = client.patch(
        f"/api/invitations/{draft['id']}", json={"is_published": True}, headers=headers
    )

    assert response.status_code == 422
    assert "is_published" in response.get_json()["details"]


def test_a_draft_cannot_be_published_before_it_is_paid(client, make, headers):
    draft = create_draft(client, headers, make.template())
    publishable(client, headers, draft["id"])

    response = client.post(f"/api/invitations/{draft['id']}/publish", headers=headers)

    assert response.status_code == 409
    assert response.get_json()["error"] == "payment_required"
    assert db.session.get(Invitation, draft["id"]).is_published is False


def test_publishing_names_every_missing_piece(client, headers):
    paid = paid_invitation(client, headers)

    response = client.post(f"/api/invitations/{paid['id']}/publish", headers=headers)

    assert response.status_code == 422
    assert set(response.get_json()["details"]) == {"event_date", "couple_or_honoree_name"}


@pytest.mark.parametrize("name", ["couple_groom_name", "honoree_name"])
def test_any_one_name_is_enough_to_publish(client, headers, name):
    paid = paid_invitation(client, headers)
    publishable(client, headers, paid["id"], couple_bride_name=None, **{name: "Luis"})

    response = client.post(f"/api/invitations/{paid['id']}/publish", headers=headers)

    assert response.status_code == 200, response.get_json()


def test_publish_starts_the_plans_time_online_and_can_be_repeated(client, headers):
    paid = paid_invitation(client, headers)
    publishable(client, headers, paid["id"])

    first = client.post(f"/api/invitations/{paid['id']}/publish", headers=headers).get_json()
    client.post(f"/api/invitations/{paid['id']}/unpublish", headers=headers)
    again = client.post(f"/api/invitations/{paid['id']}/publish", headers=headers).get_json()

    assert first["is_published"] is True
    published_at = datetime.fromisoformat(first["published_at"].replace("Z", "+00:00"))
    online_until = datetime.fromisoformat(first["online_until"].replace("Z", "+00:00"))
    assert online_until - published_at == timedelta(days=180)
    assert datetime.now(UTC) - published_at < timedelta(minutes=1)
    assert (again["published_at"], again["online_until"]) == (
        first["published_at"],
        first["online_until"],
    )


def test_unpublish_takes_it_offline(client, headers):
    paid = paid_invitation(client, headers)
    publishable(client, headers, paid["id"])
    client.post(f"/api/invitations/{paid['id']}/publish", headers=headers)

    response = client.post(f"/api/invitations/{paid['id']}/unpublish", headers=headers)

    assert response.status_code == 200
    assert response.get_json()["is_published"] is False
    assert db.session.get(Invitation, paid["id"]).is_published is False


def test_past_its_time_online_it_cannot_be_published_again(client, headers):
    paid = paid_invitation(client, headers)
    publishable(client, headers, paid["id"])
    invitation = db.session.get(Invitation, paid["id"])
    invitation.published_at = datetime.now(UTC) - timedelta(days=181)
    db.session.commit()

    response = client.post(f"/api/invitations/{paid['id']}/publish", headers=headers)

    assert response.status_code == 410
    assert response.get_json()["error"] == "invitation_expired"


def test_a_refunded_invitation_cannot_be_published(client, headers):
    paid = paid_invitation(client, headers)
    publishable(client, headers, paid["id"])
    invitation = db.session.get(Invitation, paid["id"])
    invitation.order.status = "refunded"
    db.session.commit()

    response = client.post(f"/api/invitations/{paid['id']}/publish", headers=headers)

    assert response.get_json()["error"] == "payment_required"


def test_delete_takes_it_out_of_the_list_and_off_line(client, headers):
    paid = paid_invitation(client, headers)
    publishable(client, headers, paid["id"])
    client.post(f"/api/invitations/{paid['id']}/publish", headers=headers)

    response = client.delete(f"/api/invitations/{paid['id']}", headers=headers)

    assert response.status_code == 204
    assert client.get(f"/api/invitations/{paid['id']}", headers=headers).status_code == 404
    assert client.get("/api/invitations", headers=headers).get_json()["total"] == 0
    kept = db.session.get(Invitation, paid["id"])
    assert kept.is_published is False and kept.deleted_at is not None
    assert all(not url.is_active for url in kept.urls)


def owner_routes(app):
    """(method, path template) of every route under /api/invitations/<id> and /api/editor/<id>."""
    found = []
    for rule in app.url_map.iter_rules():
        if "<int:invitation_id>" not in rule.rule:
            continue
        if not rule.rule.startswith(("/api/invitations/", "/api/editor/")):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule))
    return found


def test_every_owner_route_is_a_404_for_anyone_else(app, client, make, headers):
    theirs = create_draft(client, headers, make.template())
    stranger = headers_for_someone_else(make)
    routes = owner_routes(app)
    assert len(routes) >= 7

    for method, template in routes:
        path = re.sub(r"<int:invitation_id>", str(theirs["id"]), template)
        path = re.sub(r"<int:\w+>", "1", path)
        response = client.open(path, method=method, json={}, headers=stranger)
        assert response.status_code == 404, (method, path, response.get_json())
        assert response.get_json()["error"] == "not_found"
    assert db.session.get(Invitation, theirs["id"]).deleted_at is None
