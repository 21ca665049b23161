"""The public invitation page: what guests see, and nothing else; fast and never stale."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from extensions import db
from models.invitation import Invitation
from models.invitation_url import InvitationUrl
from tests.guest_fixtures import (
    add_events,
    add_media,
    add_responses,
    edit_data,
    guest_link,
    page,
    published_invitation,
    rsvp,
)
from tests.invitation_fixtures import FULL_FEATURES, recorded_statements
from utils.time import utcnow


@pytest.fixture
def published(client, headers):
    return published_invitation(client, headers)


def test_the_page_shows_the_invitation_to_anyone(client, published, owner):
    response = page(client, published["main_code"])

    assert response.status_code == 200
    body = response.get_json()
    assert body["code"] == published["main_code"]
    assert body["data"]["couple_bride_name"] == "Ana"
    assert body["data"]["event_date"] == "2027-03-13T22:00:00+00:00"
    assert body["template"]["slug"] == published["template"]["slug"]
    assert body["rsvp"] == {
        "enabled": True,
        "open": True,
        "deadline": None,
        "message": None,
        "max_guests": 20,
    }
    assert body["guest"] is None
    assert body["calendar_url"].endswith(f"/api/public/invitations/{body['code']}/calendar.ics")
    assert owner.email not in response.get_data(as_text=True)
    for private in ("rsvp_notify_owner", "whatsapp_message", "og_title", "default_max_guests"):
        assert private not in body["data"]


def test_codes_are_case_insensitive(client, published):
    assert page(client, published["main_code"].upper()).status_code == 200


def test_bank_data_shows_only_while_gifts_are_enabled(client, headers, published):
    edit_data(client, headers, published["id"], bank_account_number="191-1234567-0-11",
              yape_number="987654321")  # fmt: skip
    hidden = page(client, published["main_code"]).get_json()["data"]
    assert hidden["bank_account_number"] is None and hidden["yape_number"] is None

    edit_data(client, headers, published["id"], gifts_enabled=True)
    shown = page(client, published["main_code"]).get_json()["data"]
    assert shown["bank_account_number"] == "191-1234567-0-11"
    assert shown["yape_number"] == "987654321"


def test_sections_left_out_are_not_shown(client, headers, published):
    add_media(published["id"], 2, "photo")
    add_media(published["id"], 1, "cover")
    edit_data(
        client,
        headers,
        published["id"],
        story_text="Nos conocimos en Cusco",
        gifts_enabled=True,
        bank_name="BCP",
        sections=["cover", "events", "rsvp"],
    )

    body = page(client, published["main_code"]).get_json()

    assert body["data"]["story_text"] is None
    assert body["data"]["bank_name"] is None
    assert [item["media_type"] for item in body["media"]] == ["cover"]


def test_music_and_video_need_the_plan(client, headers):
    features = {**FULL_FEATURES, "music": False, "video": False}
    invitation = published_invitation(client, headers, features=features)
    add_media(invitation["id"], 1, "music")
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation["id"])
        .values(version=Invitation.version + 1)
    )
    db.session.commit()

    body = page(client, invitation["main_code"]).get_json()

    assert body["data"]["video_url"] is None
    assert [item for item in body["media"] if item["media_type"] == "music"] == []


def test_unknown_unpublished_and_deleted_invitations_are_404(client, headers, published):
    assert page(client, "no-such-code").status_code == 404
    assert page(client, "x" * 200).status_code == 404
    code = published["main_code"]
    client.post(f"/api/invitations/{published['id']}/unpublish", headers=headers)
    assert page(client, code).status_code == 404
    client.post(f"/api/invitations/{published['id']}/publish", headers=headers)
    assert page(client, code).status_code == 200
    client.delete(f"/api/invitations/{published['id']}", headers=headers)
    response = page(client, code)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_past_its_time_online_the_page_is_410(client, published):
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == published["id"])
        .values(published_at=utcnow() - timedelta(days=181), version=Invitation.version + 1)
    )
    db.session.commit()

    response = page(client, published["main_code"])

    assert response.status_code == 410
    assert response.get_json()["error"] == "invitation_expired"


def test_a_guest_link_carries_its_guest_and_their_answer(client, published):
    link = guest_link(published["id"], guest_name="Familia Pérez", max_guests=4)
    first = page(client, link.code).get_json()
    assert first["guest"] == {"guest_name": "Familia Pérez", "max_guests": 4, "response": None}
    assert first["rsvp"]["max_guests"] == 4

    rsvp(client, link.code, number_of_guests=3, message="¡Ahí estaremos!")
    answered = page(client, link.code).get_json()["guest"]["response"]

    assert answered["status"] == "confirmed"
    assert answered["number_of_guests"] == 3
    assert answered["message"] == "¡Ahí estaremos!"


def test_an_inactive_guest_link_is_404(client, published):
    link = guest_link(published["id"])
    db.session.execute(
        update(InvitationUrl).where(InvitationUrl.id == link.id).values(is_active=False)
    )
    db.session.commit()
    assert page(client, link.code).status_code == 404


def test_an_unchanged_page_answers_304_to_its_etag(client, headers, published):
    first = page(client, published["main_code"])
    etag = first.headers["ETag"]

    again = page(client, published["main_code"], **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag

    edit_data(client, headers, published["id"], subtitle="Nos casamos")
    changed = page(client, published["main_code"], **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.headers["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize("rows", [1, 50])
def test_building_the_page_costs_three_queries_whatever_its_size(client, published, rows):
    add_events(published["id"], rows)
    add_media(published["id"], rows)
    add_responses(published["id"], rows)
    code = guest_link(published["id"]).code

    with recorded_statements() as statements:
        response = page(client, code)

    assert response.status_code == 200
    assert len(response.get_json()["events"]) == rows
    assert len(statements) <= 3, "\n".join(" ".join(s.split())[-120:] for s in statements)


def test_a_cached_page_costs_one_indexed_lookup_without_redis(client, published):
    page(client, published["main_code"])
    with recorded_statements() as statements:
        assert page(client, published["main_code"]).status_code == 200
    assert len(statements) == 1


def test_the_owners_preview_works_while_unpublished(client, headers):
    from tests.invitation_fixtures import paid_invitation

    invitation = paid_invitation(client, headers)
    edit_data(client, headers, invitation["id"], honoree_name="Valeria")

    response = client.get(f"/api/editor/{invitation['id']}/preview", headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["data"]["honoree_name"] == "Valeria"
    assert body["rsvp"]["open"] is False
    assert page(client, invitation["main_code"]).status_code == 404
