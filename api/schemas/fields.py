"""Custom fields shared by the schemas."""

from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields

from utils.money import MAX_AMOUNT, format_money, round_money


class Money(fields.Field):
    """Soles as a two-decimal string out; a string or a number in, never a float inside."""

    default_error_messages = {
        "invalid": "Must be an amount such as 149.00.",
        "negative": "Must not be negative.",
        "too_large": f"Must not exceed {MAX_AMOUNT}.",
        "precision": "Must have at most two decimals.",
    }

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_money(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.make_error("invalid")
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise self.make_error("invalid") from exc
        if not amount.is_finite():
            raise self.make_error("invalid")
        if amount < 0:
            raise self.make_error("negative")
        if amount > MAX_AMOUNT:
            raise self.make_error("too_large")
        if amount != amount.quantize(Decimal("0.01")):
            raise self.make_error("precision")
        return round_money(amount)


class Currency(fields.Constant):
    def __init__(self, **kwargs):
        super().__init__("PEN", **kwargs)


def validate_not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")
