"""Business days in Peru: weekends and the national holidays skipped, checked against the law."""

from datetime import date, timedelta

import pytest

from utils.business_days import (
    add_business_days,
    business_days_between,
    is_business_day,
    national_holidays,
)

# Peru's national holidays (feriados nacionales, gob.pe/feriados), written out by hand.
FIXED = {
    (1, 1): "Año Nuevo",
    (5, 1): "Día del Trabajo",
    # Batalla de Arica y Día de la Bandera: a national holiday since 2024 (Ley N.º 31788).
    (6, 7): "Batalla de Arica y Día de la Bandera",
    (6, 29): "San Pedro y San Pablo",
    # Día de la Fuerza Aérea del Perú: since 2023 (Ley N.º 31822).
    (7, 23): "Día de la Fuerza Aérea",
    (7, 28): "Fiestas Patrias",
    (7, 29): "Fiestas Patrias",
    (8, 6): "Batalla de Junín",
    (8, 30): "Santa Rosa de Lima",
    (10, 8): "Combate de Angamos",
    (11, 1): "Todos los Santos",
    (12, 8): "Inmaculada Concepción",
    (12, 9): "Batalla de Ayacucho",
    (12, 25): "Navidad",
}
# Jueves y Viernes Santo.
HOLY_WEEK = {
    2025: (date(2025, 4, 17), date(2025, 4, 18)),
    2026: (date(2026, 4, 2), date(2026, 4, 3)),
    2027: (date(2027, 3, 25), date(2027, 3, 26)),
}


def official_holidays(year: int) -> set[date]:
    return {date(year, month, day) for month, day in FIXED} | set(HOLY_WEEK[year])


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_the_package_lists_exactly_perus_national_holidays(year):
    listed = national_holidays(year)
    easter_sunday = HOLY_WEEK[year][1] + timedelta(days=2)

    # The package also names Easter Sunday, a Sunday anyway.
    assert listed == official_holidays(year) | {easter_sunday}


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_no_holiday_and_no_weekend_day_is_a_business_day(year):
    day = date(year, 1, 1)
    holidays = official_holidays(year)
    while day.year == year:
        assert is_business_day(day) == (day.weekday() < 5 and day not in holidays), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("filed_on", "due"),
    [
        # An ordinary stretch: three weeks of weekdays.
        (date(2026, 2, 2), date(2026, 2, 23)),
        # Across Christmas and New Year (both Fridays in 2026-27) into the next year.
        (date(2026, 12, 22), date(2027, 1, 14)),
        (date(2025, 12, 22), date(2026, 1, 14)),
        # Holy Week: Thursday and Friday skipped, each year on its own dates.
        (date(2025, 4, 16), date(2025, 5, 12)),  # and 1 May
        (date(2026, 3, 30), date(2026, 4, 22)),
        (date(2027, 3, 24), date(2027, 4, 16)),
        # Filed on a Saturday: counting starts on Monday.
        (date(2026, 3, 28), date(2026, 4, 21)),
        # July: Fuerza Aérea, Fiestas Patrias, then Junín.
        (date(2026, 7, 20), date(2026, 8, 14)),
        # 7 June 2027 is a Monday holiday (Ley 31788); without it the answer would be 25 June.
        (date(2027, 6, 4), date(2027, 6, 28)),
    ],
)
def test_the_15th_business_day_after_filing(filed_on, due):
    assert add_business_days(filed_on, 15) == due
    assert business_days_between(filed_on, due) == 15


def test_zero_business_days_is_the_day_itself_even_on_a_holiday():
    assert add_business_days(date(2026, 12, 25), 0) == date(2026, 12, 25)


def test_counting_backwards_skips_holidays_and_weekends():
    # Monday 4 Jan 2027: Friday 1 Jan is New Year, so one back is Thursday 31 Dec.
    assert add_business_days(date(2027, 1, 4), -1) == date(2026, 12, 31)
    assert add_business_days(date(2027, 1, 4), -2) == date(2026, 12, 30)


@pytest.mark.parametrize(
    ("a", "b", "days"),
    [
        (date(2026, 12, 4), date(2026, 12, 4), 0),
        (date(2026, 12, 4), date(2026, 12, 7), 1),  # Friday -> Monday
        (date(2026, 12, 4), date(2026, 12, 5), 0),  # Friday -> Saturday
        (date(2026, 12, 7), date(2026, 12, 10), 1),  # 8 and 9 December are holidays
        # Past a Friday deadline: negative from the Saturday on, -2 once Monday has passed.
        (date(2026, 12, 5), date(2026, 12, 4), -1),
        (date(2026, 12, 7), date(2026, 12, 4), -1),
        (date(2026, 12, 10), date(2026, 12, 4), -2),
    ],
)
def test_business_days_between_is_signed(a, b, days):
    assert business_days_between(a, b) == days


def test_between_undoes_add_in_both_directions():
    start = date(2026, 12, 20)
    for offset in range(0, 40, 3):
        day = start + timedelta(days=offset)
        for n in range(-25, 26):
            assert business_days_between(day, add_business_days(day, n)) == n, (day, n)
