"""Money is Decimal soles, rounded half-up to céntimos; Izipay speaks integer céntimos."""

from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "PEN"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("99999999.99")  # what Numeric(10, 2) holds


def round_money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value: Decimal) -> str:
    return f"{round_money(value):.2f}"


def to_cents(value: Decimal) -> int:
    return int(round_money(value) * 100)
