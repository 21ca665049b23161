"""Clock helpers: UTC for storage, Lima for business dates."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LIMA = ZoneInfo("America/Lima")


def utcnow() -> datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def lima_date(moment: datetime | None = None) -> date:
    """The Lima calendar day of `moment` (an aware datetime; now when None): "today" of the
    business rules (claim deadlines, order numbers, RSVP deadlines, stats)."""
    return (moment or utcnow()).astimezone(LIMA).date()


def lima_day_start(day: date) -> datetime:
    """The instant a Lima calendar day begins, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=LIMA)


def lima_day_end(day: date) -> datetime | None:
    """The instant a Lima calendar day ends (the next one begins); None for the last day of
    the calendar, which has no day after it, so "until then" means "with no end"."""
    return None if day >= date.max else lima_day_start(day + timedelta(days=1))
