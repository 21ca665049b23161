"""The invitation's calendar file, read back with the icalendar library."""

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import update

from extensions import db
from models.invitation import Invitation
from models.invitation_event import InvitationEvent
from tests.guest_fixtures import add_events, published_invitation
from utils.media import local_app_url

LIMA = ZoneInfo("America/Lima")


@pytest.fixture
def published(client, headers):
    return published_invitation(client, headers, ceremony_venue_name="Parroquia San Pedro",
                                ceremony_address="Jr. Ucayali 451, Lima")  # fmt: skip


def calendar(client, code):
    response = client.get(f"/api/public/invitations/{code}/calendar.ics")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/calendar"
    return icalendar.Calendar.from_ical(response.get_data())


def test_without_events_one_event_for_the_date_in_lima_time(client, published):
    parsed = calendar(client, published["main_code"])

    [event] = parsed.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == datetime(2027, 3, 13, 17, 0, tzinfo=LIMA)
    assert str(event["dtstart"].params["TZID"]) == "America/Lima"
    assert str(event["location"]) == "Parroquia San Pedro, Jr. Ucayali 451, Lima"
    assert f"/r/{published['main_code']}" in str(event["url"])
    assert [str(zone["tzid"]) for zone in parsed.walk("VTIMEZONE")] == ["America/Lima"]


def test_one_event_per_timeline_event(client, published):
    add_events(published["id"], 3)
    parsed = calendar(client, published["main_code"])

    events = parsed.walk("VEVENT")
    assert [str(event["summary"]) for event in events] == [
        "Momento 0 · Ana & Luis",
        "Momento 1 · Ana & Luis",
        "Momento 2 · Ana & Luis",
    ]
    assert len({str(event["uid"]) for event in events}) == 3
    assert all(str(event["location"]) == "Casa Hacienda" for event in events)


def test_the_public_page_links_to_its_calendar(client, published):
    body = client.get(f"/api/public/invitations/{published['main_code']}").get_json()
    path = body["calendar_url"].removeprefix(local_app_url())
    assert client.get(path).status_code == 200


def test_unknown_or_unpublished_is_404(client, headers, published):
    assert client.get("/api/public/invitations/nothing/calendar.ics").status_code == 404
    client.post(f"/api/invitations/{published['id']}/unpublish", headers=headers)
    response = client.get(f"/api/public/invitations/{published['main_code']}/calendar.ics")
    assert response.status_code == 404


def test_text_saved_with_line_breaks_and_control_characters_is_escaped_not_a_500(client, published):
    """Rows saved before the API refused control characters still make a valid calendar."""
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == published["id"])
        .values(title="Boda de Ana\r\nX-INJECTED:1\x00")
    )
    add_events(published["id"], 1)
    db.session.execute(
        update(InvitationEvent)
        .where(InvitationEvent.invitation_id == published["id"])
        .values(title="Misa\nRELIGIOSA", description="Línea 1\r\nLínea 2\x07;, fin")
    )
    db.session.commit()

    parsed = calendar(client, published["main_code"])

    assert str(parsed["x-wr-calname"]) == "Boda de Ana X-INJECTED:1"
    assert "X-INJECTED" not in [name.upper() for name in parsed]
    [event] = parsed.walk("VEVENT")
    assert str(event["summary"]) == "Misa RELIGIOSA · Ana & Luis"
    assert str(event["description"]).startswith("Línea 1\nLínea 2;, fin\n\n")
