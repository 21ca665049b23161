"""`/api/editor/<id>/events`: the timeline, its order and the plan's `max_events`."""

import pytest

from extensions import db
from models.invitation import Invitation
from models.invitation_event import InvitationEvent

EVENT_FIELDS = {
    "id",
    "event_type",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "venue_name",
    "venue_address",
    "map_url",
    "latitude",
    "longitude",
    "display_order",
}


def invitation_with(make, owner, max_events: int = 3) -> Invitation:
    invitation = make.invitation(user=owner)
    invitation.plan = make.plan(features={"max_events": max_events})
    db.session.commit()
    return invitation


@pytest.fixture
def invitation(make, owner):
    return invitation_with(make, owner)


def events_url(invitation) -> str:
    return f"/api/editor/{invitation.id}/events"


def create(client, headers, invitation, **body):
    body = {"event_type": "recepcion", "title": "Recepción", **body}
    return client.post(events_url(invitation), json=body, headers=headers)


def version_of(invitation) -> int:
    db.session.rollback()
    return db.session.get(Invitation, invitation.id).version


def test_create_answers_the_event_and_list_orders_them(client, headers, invitation):
    first = create(
        client,
        headers,
        invitation,
        event_type="ceremonia_religiosa",
        title="Misa",
        starts_at="2027-03-01T16:00:00-05:00",
        ends_at="2027-03-01T17:00:00-05:00",
        venue_name="Parroquia",
        map_url="https://maps.example.com/?q=1",
        latitude=-12.1,
        longitude=-77.03,
    )
    second = create(client, headers, invitation, title="Fiesta")

    listed = client.get(events_url(invitation), headers=headers)

    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert set(body) == EVENT_FIELDS
    assert body["starts_at"].startswith("2027-03-01T21:00:00")
    assert (body["latitude"], body["display_order"]) == (-12.1, 0)
    assert second.get_json()["display_order"] == 1
    assert first.headers["ETag"] != second.headers["ETag"]
    assert [item["title"] for item in listed.get_json()["items"]] == ["Misa", "Fiesta"]


def test_title_and_a_known_type_are_required_and_bad_fields_are_named(client, headers, invitation):
    missing = client.post(events_url(invitation), json={}, headers=headers)
    bad = client.post(
        events_url(invitation),
        json={
            "event_type": "boda",
            "title": "   ",
            "map_url": "maps",
            "latitude": 100,
            "longitude": "1",
            "starts_at": "ayer",
            "display_order": 3,
        },
        headers=headers,
    )

    assert missing.status_code == 422
    assert set(missing.get_json()["details"]) == {"event_type", "title"}
    assert bad.status_code == 422
    assert set(bad.get_json()["details"]) == {
        "event_type",
        "title",
        "map_url",
        "latitude",
        "longitude",
        "starts_at",
        "display_order",
    }


def test_ends_at_must_follow_starts_at_also_when_one_side_is_patched(client, headers, invitation):
    same = create(
        client,
        headers,
        invitation,
        starts_at="2027-03-01T20:00:00Z",
        ends_at="2027-03-01T20:00:00Z",
    )
    event = create(
        client,
        headers,
        invitation,
        starts_at="2027-03-01T20:00:00Z",
        ends_at="2027-03-01T23:00:00Z",
    ).get_json()
    url = f"{events_url(invitation)}/{event['id']}"

    earlier_end = client.patch(url, json={"ends_at": "2027-03-01T19:00:00Z"}, headers=headers)
    later_start = client.patch(url, json={"starts_at": "2027-03-02T00:00:00Z"}, headers=headers)
    both = client.patch(
        url,
        json={"starts_at": "2027-03-02T00:00:00Z", "ends_at": "2027-03-02T03:00:00Z"},
        headers=headers,
    )

    assert same.status_code == 422 and set(same.get_json()["details"]) == {"ends_at"}
    assert earlier_end.status_code == 422 and set(earlier_end.get_json()["details"]) == {"ends_at"}
    assert later_start.status_code == 422 and set(later_start.get_json()["details"]) == {"ends_at"}
    assert both.status_code == 200
    assert both.get_json()["ends_at"].startswith("2027-03-02T03:00:00")


def test_patch_changes_some_fields_and_bumps_the_version(client, headers, invitation):
    event = create(client, headers, invitation, description="x").get_json()
    before = version_of(invitation)

    response = client.patch(
        f"{events_url(invitation)}/{event['id']}",
        json={"title": "Cóctel", "event_type": "cocktail", "description": None},
        headers=headers,
    )

    body = response.get_json()
    assert response.status_code == 200
    assert (body["title"], body["event_type"], body["description"]) == ("Cóctel", "cocktail", None)
    assert version_of(invitation) == before + 1
    assert response.headers["ETag"] == f'"v{before + 1}"'
    refused = client.patch(
        f"{events_url(invitation)}/{event['id']}", json={"title": None}, headers=headers
    )
    assert refused.status_code == 422


def test_delete_removes_the_event(client, headers, invitation):
    event = create(client, headers, invitation).get_json()
    url = f"{events_url(invitation)}/{event['id']}"

    deleted = client.delete(url, headers=headers)
    again = client.delete(url, headers=headers)

    assert deleted.status_code == 204
    assert "ETag" in deleted.headers
    assert again.status_code == 404
    assert client.get(events_url(invitation), headers=headers).get_json() == {"items": []}


def test_the_plan_limit_counts_every_event(client, headers, make, owner):
    invitation = invitation_with(make, owner, max_events=2)
    create(client, headers, invitation)
    second = create(client, headers, invitation).get_json()

    third = create(client, headers, invitation)
    client.delete(f"{events_url(invitation)}/{second['id']}", headers=headers)
    after_delete = create(client, headers, invitation)

    assert third.status_code == 403
    assert third.get_json()["error"] == "plan_limit_reached"
    assert after_delete.status_code == 201


def test_a_draft_without_a_plan_is_held_to_the_cheapest_plan(client, headers, make, owner):
    make.plan(features={"max_events": 0})
    draft = make.invitation(user=owner)

    response = create(client, headers, draft)

    assert response.status_code == 403


def test_put_order_sets_the_new_order(client, headers, invitation):
    ids = [create(client, headers, invitation, title=t).get_json()["id"] for t in "ABC"]

    response = client.put(
        f"{events_url(invitation)}/order", json={"ids": [ids[2], ids[0], ids[1]]}, headers=headers
    )

    assert response.status_code == 200
    assert [item["title"] for item in response.get_json()["items"]] == ["C", "A", "B"]
    assert [item["display_order"] for item in response.get_json()["items"]] == [0, 1, 2]
    listed = client.get(events_url(invitation), headers=headers).get_json()["items"]
    assert [item["title"] for item in listed] == ["C", "A", "B"]
    assert "ETag" in response.headers


def test_put_order_needs_exactly_this_invitations_ids(client, headers, make, owner, invitation):
    ids = [create(client, headers, invitation, title=t).get_json()["id"] for t in "AB"]
    other = invitation_with(make, owner)
    foreign = create(client, headers, other).get_json()["id"]
    url = f"{events_url(invitation)}/order"

    answers = [
        client.put(url, json={"ids": ids[:1]}, headers=headers),
        client.put(url, json={"ids": [ids[0], ids[0], ids[1]]}, headers=headers),
        client.put(url, json={"ids": [*ids, foreign]}, headers=headers),
        client.put(url, json={"ids": [ids[0], foreign]}, headers=headers),
        client.put(url, json={}, headers=headers),
    ]

    assert [answer.status_code for answer in answers] == [422] * 5
    assert all(set(answer.get_json()["details"]) == {"ids"} for answer in answers)
    stored = db.session.scalars(
        db.select(InvitationEvent.display_order).where(InvitationEvent.id.in_(ids))
    ).all()
    assert sorted(stored) == [0, 1]


def test_another_users_invitation_or_event_is_404(client, headers, make, owner, auth_headers):
    invitation = invitation_with(make, owner)
    event = create(client, headers, invitation).get_json()
    other = invitation_with(make, owner)
    stranger = auth_headers(make.user())
    url = f"{events_url(invitation)}/{event['id']}"

    answers = [
        client.get(events_url(invitation), headers=stranger),
        create(client, stranger, invitation),
        client.patch(url, json={"title": "x"}, headers=stranger),
        client.delete(url, headers=stranger),
        client.put(
            f"{events_url(invitation)}/order", json={"ids": [event["id"]]}, headers=stranger
        ),
        # The event exists, but under another invitation of the same owner.
        client.patch(f"{events_url(other)}/{event['id']}", json={"title": "x"}, headers=headers),
        client.delete(f"{events_url(other)}/{event['id']}", headers=headers),
    ]

    assert [answer.status_code for answer in answers] == [404] * 7


def test_a_deleted_invitation_is_404(client, headers, invitation):
    invitation.deleted_at = invitation.created_at
    db.session.commit()

    assert client.get(events_url(invitation), headers=headers).status_code == 404
    assert create(client, headers, invitation).status_code == 404


def test_a_strangers_invalid_body_is_404_not_422(client, headers, make, owner, auth_headers):
    invitation = invitation_with(make, owner)
    event = create(client, headers, invitation).get_json()
    stranger = auth_headers(make.user())
    base = f"/api/editor/{invitation.id}"

    answers = [
        client.patch(f"{base}/data", json={"title": 1}, headers=stranger),
        client.post(f"{base}/events", json={}, headers=stranger),
        client.patch(f"{base}/events/{event['id']}", json={"title": None}, headers=stranger),
        client.put(f"{base}/events/order", json={}, headers=stranger),
    ]

    assert [answer.status_code for answer in answers] == [404] * 4
