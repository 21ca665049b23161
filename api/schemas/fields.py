"""Custom fields and validators shared by the schemas, each documented as the server applies it."""

import re
from decimal import Decimal, InvalidOperation

from flask_smorest.fields import Upload
from marshmallow import ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from utils.money import MAX_AMOUNT, format_money, round_money
from utils.safe_json import INT64_MAX

# What a money string may be: up to 8 digits and 2 decimals, i.e. 0 to MAX_AMOUNT.
MONEY_PATTERN = r"^[0-9]{1,8}(\.[0-9]{1,2})?$"
# Some character other than ASCII whitespace; spelled out so the server (Python) and a
# client's validator (ECMAScript) agree on what "blank" is.
NOT_BLANK_PATTERN = r"^[\s\S]*[^ \t\n\r\f\v][\s\S]*$"


class Pattern(validate.Regexp):
    """`validate.Regexp` over the whole value, documented as the field's `pattern`.

    `re.match` with a `$` anchor lets a trailing newline through (`"slug\\n"`); the document's
    ECMAScript pattern does not, so the server matches the entire string.
    """

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class Text(fields.String):
    """A string every database can store: lone UTF-16 surrogates (`"\\ud800"`) are a 422."""

    default_error_messages = {"unencodable": "Must be valid Unicode text."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise self.make_error("unencodable") from error
        return text


def NonBlankText(max_length: int, **kwargs):  # noqa: N802 - reads as a field type
    """1 to `max_length` characters, not only whitespace."""
    return Text(
        validate=[
            validate.Length(min=1, max=max_length),
            Pattern(NOT_BLANK_PATTERN, error="Must not be blank."),
        ],
        **kwargs,
    )


def Id(**kwargs):  # noqa: N802
    """A row id: a JSON integer from 1 to 2⁶³−1 (a string or a float is refused)."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=INT64_MAX), **kwargs)


class Bool(fields.Boolean):
    """JSON `true` or `false` only (marshmallow's Boolean also takes 1, "yes", "on"...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class QueryBool(fields.Boolean):
    """`true` or `false` in a query string, as the document's `boolean` parameters are sent."""

    truthy = {"true"}
    falsy = {"false"}


class AnyJson(fields.Raw):
    """Any JSON value, documented as the `JsonValue` component (api/openapi.py)."""


class Money(fields.Field):
    """Soles as a two-decimal string (`"149.00"`), as every response carries amounts."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_money(value)


class MoneyInput(Money):
    """An amount sent by a client: a string such as `"149.90"` or a JSON number, both with at
    most two decimals, 0 to MAX_AMOUNT; never a float inside (a number is read by its text)."""

    default_error_messages = {
        "invalid": "Must be an amount such as 149.00.",
        "negative": "Must not be negative.",
        "too_large": f"Must not exceed {MAX_AMOUNT}.",
        "precision": "Must have at most two decimals.",
    }
    STRING = re.compile(MONEY_PATTERN)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.make_error("invalid")
        text = value if isinstance(value, str) else repr(value)
        try:
            amount = Decimal(text)
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
        if isinstance(value, str) and self.STRING.fullmatch(value) is None:
            # Decimal() also reads " 1", "1_000", "1e2" and other digits; the contract does not.
            raise self.make_error("invalid")
        return round_money(amount)


class Currency(fields.Constant):
    def __init__(self, **kwargs):
        super().__init__("PEN", metadata={"type": "string", "enum": ["PEN"]}, **kwargs)


class FileUpload(Upload):
    """A multipart file part; the same name sent as a plain form field is a 422, not a 500."""

    default_error_messages = {"invalid": "Must be a file (a multipart file part)."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value
