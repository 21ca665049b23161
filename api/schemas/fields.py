"""Custom fields and validators shared by the schemas, each documented as the server applies it."""

import re
from datetime import UTC, date
from decimal import Decimal, InvalidOperation
from typing import overload

from flask_smorest.fields import Upload
from marshmallow import ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from utils.money import MAX_AMOUNT, format_money, round_money
from utils.safe_json import INT64_MAX
from utils.text import (
    CONTROL_RANGES,
    MULTILINE_CONTROL_RANGES,
    MULTILINE_PATTERN,
    SINGLE_LINE_PATTERN,
    has_control,
    has_control_besides_line_breaks,
    normalize_line_breaks,
)

# What a money string may be: up to 8 digits and 2 decimals, i.e. 0 to MAX_AMOUNT.
MONEY_PATTERN = r"^[0-9]{1,8}(\.[0-9]{1,2})?$"
MAX_EMAIL_LENGTH = 255
# One line with some character other than a space; spelled out so the server (Python) and a
# client's validator (ECMAScript) agree on what "blank" is.
NOT_BLANK_PATTERN = rf"^[^{CONTROL_RANGES}]*[^{CONTROL_RANGES} ][^{CONTROL_RANGES}]*$"
# The same over several lines: line breaks are blank too.
MULTILINE_NOT_BLANK_PATTERN = (
    rf"^[^{MULTILINE_CONTROL_RANGES}]*[^{MULTILINE_CONTROL_RANGES} \n\r\u2028\u2029]"
    rf"[^{MULTILINE_CONTROL_RANGES}]*$"
)


class Pattern(validate.Regexp):
    """`validate.Regexp` over the whole value, documented as the field's `pattern`.

    `re.match` with a `$` anchor lets a trailing newline through (`"slug\\n"`); the document's
    ECMAScript pattern does not, so the server matches the entire string.
    """

    @overload
    def __call__(self, value: str) -> str: ...

    @overload
    def __call__(self, value: bytes) -> bytes: ...

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class UnicodeText(fields.String):
    """A string every database can store: lone UTF-16 surrogates (`"\\ud800"`) are a 422.

    Any other character passes: for secrets (passwords, tokens) compared as sent.
    """

    default_error_messages = {"unencodable": "Must be valid Unicode text."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise self.make_error("unencodable") from error
        return text


class Text(UnicodeText):
    """One line of text (titles, names, slugs, captions, phones, e-mails, ...): a control
    character (C0 including tab and line breaks, DEL, C1, U+2028, U+2029) is a 422.

    The document states it as the field's `pattern`, unless the field has a pattern of its
    own, which then excludes control characters itself.
    """

    default_error_messages = {"control": "Must be one line, without control characters."}
    PATTERN = SINGLE_LINE_PATTERN

    def __init__(self, **kwargs):
        validators = kwargs.get("validate") or []
        validators = validators if isinstance(validators, list | tuple) else [validators]
        metadata = dict(kwargs.pop("metadata", None) or {})
        documented = "pattern" in metadata or "format" in metadata
        if not documented and not any(isinstance(v, validate.Regexp) for v in validators):
            metadata["pattern"] = self.PATTERN
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if self._has_control(text):
            raise self.make_error("control")
        return self._normalize(text)

    def _has_control(self, text: str) -> bool:
        return has_control(text)

    def _normalize(self, text: str) -> str:
        return text


class MultilineText(Text):
    """Text of several lines (messages, descriptions, stories): line breaks are kept, as
    `\\n` (`\\r\\n`, `\\r`, U+2028 and U+2029 become `\\n`); any other control character,
    tab included, is a 422."""

    default_error_messages = {"control": "Must not contain control characters but line breaks."}
    PATTERN = MULTILINE_PATTERN

    def _has_control(self, text: str) -> bool:
        return has_control_besides_line_breaks(text)

    def _normalize(self, text: str) -> str:
        return normalize_line_breaks(text)


def NonBlankText(max_length: int, *, multiline: bool = False, **kwargs):  # noqa: N802
    """1 to `max_length` characters, not only whitespace; one line unless `multiline`."""
    field, not_blank = (
        (MultilineText, MULTILINE_NOT_BLANK_PATTERN) if multiline else (Text, NOT_BLANK_PATTERN)
    )
    return field(
        validate=[
            validate.Length(min=1, max=max_length),
            Pattern(not_blank, error="Must not be blank."),
        ],
        **kwargs,
    )


def Email(**kwargs):  # noqa: N802
    """An e-mail address of at most 255 characters, on one line."""
    return Text(
        validate=[validate.Length(max=MAX_EMAIL_LENGTH), validate.Email()],
        metadata={"format": "email", **kwargs.pop("metadata", {})},
        **kwargs,
    )


# The dates an event, an RSVP deadline or a coupon may have: far from the ends of the
# calendar, so adding a day or moving to a time zone never overflows.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2199, 12, 31)
DATE_RANGE = f"From {EARLIEST_DAY} to {LATEST_DAY}."


def _in_range(field: fields.Field, day: date) -> None:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise field.make_error("out_of_range")


class Day(fields.Date):
    """A calendar date from EARLIEST_DAY to LATEST_DAY."""

    default_error_messages = {"out_of_range": f"Must be from {EARLIEST_DAY} to {LATEST_DAY}."}

    def __init__(self, **kwargs):
        metadata = {"description": DATE_RANGE, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        _in_range(self, day)
        return day


class Moment(fields.AwareDateTime):
    """An ISO 8601 date-time (no offset means UTC) on a day from EARLIEST_DAY to LATEST_DAY,
    loaded as an aware UTC datetime."""

    default_error_messages = {"out_of_range": f"Must be from {EARLIEST_DAY} to {LATEST_DAY}."}

    def __init__(self, **kwargs):
        metadata = {"description": DATE_RANGE, **kwargs.pop("metadata", {})}
        super().__init__(default_timezone=UTC, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = moment.astimezone(UTC)
        except OverflowError as error:
            raise self.make_error("out_of_range") from error
        _in_range(self, moment.date())
        return moment


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
