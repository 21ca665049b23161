"""Dates written out in Spanish, as guests read them: `sábado 14 de marzo de 2026`."""

from datetime import date

WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip


def long_date(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} de {MONTHS[day.month - 1]} de {day.year}"


def short_date(day: date) -> str:
    """`14 de marzo de 2026`."""
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"
