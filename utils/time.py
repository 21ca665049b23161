"""Clock helpers: UTC for storage, Lima for business dates."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LIMA = ZoneInfo("America/Lima")


def utcnow() -> datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def lima_day_start(day: date) -> datetime:
    """The instant a Lima calendar day begins, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=LIMA)
