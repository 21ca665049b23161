"""The invitation as a calendar file (RFC 5545) guests add to their phone's calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from services.public_pages import PublicView, display_names
from utils.links import short_link_url
from utils.text import one_line, without_controls
from utils.time import LIMA, utcnow

PRODUCT_ID = "-//Invitaciones Web//Invitacion//ES"
# An event with no end time is shown as lasting this long.
DEFAULT_DURATION = timedelta(hours=4)


def invitation_calendar(view: PublicView) -> bytes:
    """One VEVENT per event with a start time, or one for the event date when there is none;
    times in the invitation's zone (America/Lima by default) with its VTIMEZONE."""
    data = view.data
    zone = _zone(data.timezone if data is not None else None)
    link = short_link_url(view.code)
    host = urlsplit(link).hostname or "invitaciones"
    names = display_names(view.data)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _line(view.title or names))
    stamp = utcnow()
    starts: list[datetime] = []
    for event in view.events:
        if event.starts_at is None:
            continue
        start = event.starts_at.astimezone(zone)
        end = event.ends_at.astimezone(zone) if event.ends_at else start + DEFAULT_DURATION
        location = ", ".join(part for part in (event.venue_name, event.venue_address) if part)
        summary = f"{event.title} · {names}" if names else event.title
        calendar.add_component(
            _event(
                f"inv-{view.invitation.id}-event-{event.id}@{host}",
                summary, start, end, location, event.description, link, stamp,
            )
        )  # fmt: skip
        starts.append(start)
    if not starts and data is not None and data.event_date is not None:
        start = data.event_date.astimezone(zone)
        location = ", ".join(
            part for part in (data.ceremony_venue_name, data.ceremony_address) if part
        )
        calendar.add_component(
            _event(
                f"inv-{view.invitation.id}@{host}",
                view.title or names, start, start + DEFAULT_DURATION, location,
                data.welcome_message, link, stamp,
            )
        )  # fmt: skip
        starts.append(start)
    if starts:
        first = min(starts).date()
        calendar.add_missing_timezones(first_date=date(first.year - 1, 1, 1))
    return calendar.to_ical()


def _event(uid, summary, start, end, location, description, link, stamp) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", _line(summary))
    if location:
        event.add("location", _line(location))
    text = f"{without_controls(description)}\n\n{link}" if description else link
    event.add("description", icalendar.vText(text))
    event.add("url", link)
    return event


# Every text goes in as a vText, which escapes it; control characters, which RFC 5545 does not
# allow in text (saved before the API refused them), are left out.
def _line(text: str) -> icalendar.vText:
    return icalendar.vText(one_line(text))


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else LIMA
    except (ZoneInfoNotFoundError, ValueError):
        return LIMA
