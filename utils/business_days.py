"""Business days in Peru: Monday to Friday, national holidays skipped (the `holidays` package).

The holiday list is the `holidays` package's for country PE (`holidays.country_holidays`),
one frozen set of dates per year, built on first use and kept for the process. A new law
reaches the arithmetic by upgrading the package.
"""

from datetime import date, timedelta
from functools import lru_cache

import holidays

COUNTRY = "PE"
ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[date]:
    """Peru's national holidays of `year` (Sundays such as Easter included, as listed)."""
    return frozenset(holidays.country_holidays(COUNTRY, years=year))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in national_holidays(day.year)


def add_business_days(start: date, n: int) -> date:
    """The `n`-th business day after `start` (before it when `n` is negative); `start` itself
    is never counted, so `n = 0` is `start` whatever day it is."""
    step = ONE_DAY if n >= 0 else -ONE_DAY
    day, left = start, abs(n)
    while left:
        day += step
        if is_business_day(day):
            left -= 1
    return day


def business_days_between(a: date, b: date) -> int:
    """Signed business days from `a` to `b`: for `b` on or after `a`, those in (a, b]; for
    `b` before `a`, minus those in [b, a).

    It undoes `add_business_days`: `add_business_days(a, business_days_between(a, b)) == b`
    whenever `b` is a business day, and from any day after a business day `b` it is
    negative (a deadline on Friday is -1 on the Saturday after it).
    """
    if b >= a:
        return _count(a + ONE_DAY, b)
    return -_count(b, a - ONE_DAY)


def _count(first: date, last: date) -> int:
    """Business days from `first` to `last`, both included."""
    total, day = 0, first
    while day <= last:
        total += is_business_day(day)
        day += ONE_DAY
    return total
