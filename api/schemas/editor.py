"""The editor: an invitation's content (`invitation_data`) and its events timeline.

The data edit schema is derived from the InvitationData columns (InvitationDataSchema lists
them): each column gets the field of its type with the model's length and nullability, and
the columns with a format of their own (colours, URLs, times, coordinates, JSON shapes) get
theirs below. A column of a type not handled here fails at import, so none is left unchecked.
"""

from importlib.resources import files

from flask_marshmallow.sqla import SQLAlchemySchema
from marshmallow import Schema, ValidationError, fields, validate
from marshmallow_sqlalchemy import auto_field
from sqlalchemy import JSON, Boolean, Date, Integer, Numeric, String
from sqlalchemy import Text as TextType

from api.schemas.fields import (
    Bool,
    Day,
    Email,
    Id,
    Moment,
    MultilineText,
    NonBlankText,
    Pattern,
    Text,
)
from api.schemas.invitations import InvitationDataSchema
from models.invitation_data import LANGUAGES, InvitationData
from models.invitation_event import EVENT_TYPES, InvitationEvent
from models.types import UTCDateTime
from utils.safe_json import INT64_MAX
from utils.text import (
    CONTROL_RANGES,
    MULTILINE_PATTERN,
    has_control_besides_line_breaks,
    normalize_line_breaks,
)

HEX_COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
URL_PATTERN = rf"^https?://[A-Za-z0-9.-]+(:[0-9]{{1,5}})?([/?#][^\s{CONTROL_RANGES}]*)?$"
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
SECTION_PATTERN = r"^[a-z_]{1,50}$"
# Unbounded TEXT columns: well inside MariaDB's 64 KB TEXT in any UTF-8.
MAX_LONG_TEXT = 10_000
MAX_GODPARENTS = 30
MAX_RESERVED_COLORS = 10
MAX_SECTIONS = 30
MAX_CUSTOM_FIELDS = 50
MAX_CUSTOM_KEY = 50
MAX_CUSTOM_TEXT = 1_000
MAX_EVENT_IDS = 1_000
# The zones a person picks from: tzdata's zone.tab (one "Area/City" row per zone and country)
# plus UTC. available_timezones() also holds "localtime", "Factory", legacy aliases ("US/Eastern",
# "Peru"...) and five spellings of GMT, which an SPA would list as choices.
TIMEZONES = (
    "UTC",
    *sorted(
        line.split("\t")[2]
        for line in files("tzdata.zoneinfo").joinpath("zone.tab").read_text().splitlines()
        if line and not line.startswith("#")
    ),
)
# Sized columns that hold several lines (TEXT columns always may); the others are one line.
MULTILINE_COLUMNS = frozenset({"whatsapp_message"})


def Url(max_length: int = 500, **kwargs):  # noqa: N802 - reads as a field type
    return Text(
        validate=[
            validate.Length(max=max_length),
            Pattern(URL_PATTERN, error="Must be an http(s) URL."),
        ],
        **kwargs,
    )


def HexColor(**kwargs):  # noqa: N802
    return Text(
        validate=Pattern(HEX_COLOR_PATTERN, error="Must be a colour such as #1E88E5."), **kwargs
    )


def Coordinate(limit: int, **kwargs):  # noqa: N802
    return CoordinateField(validate=validate.Range(min=-limit, max=limit), **kwargs)


class CoordinateField(fields.Float):
    """A JSON number (a string is refused), stored with the column's 6 decimals."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return round(float(value), 6)


class CustomValue(fields.Field):
    """A custom field's value: text up to MAX_CUSTOM_TEXT (line breaks as `\\n`, no other
    control character), a number, a boolean or null."""

    default_error_messages = {
        "invalid": f"Must be text of at most {MAX_CUSTOM_TEXT} characters (no control "
        "characters but line breaks), a number, true, false or null."
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str) and len(value) <= MAX_CUSTOM_TEXT:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as error:
                raise self.make_error("invalid") from error
            if has_control_besides_line_breaks(value):
                raise self.make_error("invalid")
            return normalize_line_breaks(value)
        raise self.make_error("invalid")


CUSTOM_VALUE_DOC = {
    "nullable": True,
    "anyOf": [
        {"type": "string", "maxLength": MAX_CUSTOM_TEXT, "pattern": MULTILINE_PATTERN},
        {"type": "number", "minimum": -INT64_MAX, "maximum": INT64_MAX},
        {"type": "boolean"},
    ],
}


def _distinct(values: list) -> None:
    if len(values) != len(set(values)):
        raise ValidationError("Must not repeat a value.")


def _at_most_custom_fields(value: dict) -> None:
    if len(value) > MAX_CUSTOM_FIELDS:
        raise ValidationError(f"Must have at most {MAX_CUSTOM_FIELDS} keys.")


class GodparentSchema(Schema):
    role = Text(required=True, validate=validate.Length(max=100))
    names = Text(required=True, validate=validate.Length(max=300))


# The editable columns whose values have a format beyond their column type.
SPECIAL_FIELDS = {
    "theme_primary_color": lambda: HexColor(allow_none=True),
    "theme_secondary_color": lambda: HexColor(allow_none=True),
    "ceremony_latitude": lambda: Coordinate(90, allow_none=True),
    "ceremony_longitude": lambda: Coordinate(180, allow_none=True),
    "reception_latitude": lambda: Coordinate(90, allow_none=True),
    "reception_longitude": lambda: Coordinate(180, allow_none=True),
    "ceremony_time": lambda: Text(allow_none=True, validate=Pattern(TIME_PATTERN, error="HH:MM.")),
    "reception_time": lambda: Text(allow_none=True, validate=Pattern(TIME_PATTERN, error="HH:MM.")),
    "event_date": lambda: Moment(allow_none=True),
    "timezone": lambda: fields.String(validate=validate.OneOf(TIMEZONES)),
    "language": lambda: fields.String(validate=validate.OneOf(LANGUAGES)),
    "contact_email": lambda: Email(allow_none=True),
    "default_max_guests": lambda: fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=20)
    ),
    "cover_media_id": lambda: Id(allow_none=True),
    "music_media_id": lambda: Id(allow_none=True),
    "og_image_media_id": lambda: Id(allow_none=True),
    "godparents": lambda: fields.List(
        fields.Nested(GodparentSchema),
        allow_none=True,
        validate=validate.Length(max=MAX_GODPARENTS),
    ),
    "reserved_colors": lambda: fields.List(
        HexColor(), allow_none=True, validate=validate.Length(max=MAX_RESERVED_COLORS)
    ),
    "sections": lambda: fields.List(
        Text(validate=Pattern(SECTION_PATTERN, error="Lower-case letters and _ only, 1 to 50.")),
        allow_none=True,
        validate=[validate.Length(max=MAX_SECTIONS), _distinct],
        metadata={"uniqueItems": True},
    ),
    "custom_fields": lambda: fields.Dict(
        keys=Text(validate=validate.Length(min=1, max=MAX_CUSTOM_KEY)),
        values=CustomValue(allow_none=True, metadata=CUSTOM_VALUE_DOC),
        allow_none=True,
        validate=_at_most_custom_fields,
        metadata={
            "maxProperties": MAX_CUSTOM_FIELDS,
            "description": f"At most {MAX_CUSTOM_FIELDS} keys, each of 1 to {MAX_CUSTOM_KEY} "
            "characters.",
        },
    ),
}


def _field_for_column(name: str) -> fields.Field:
    """The edit field of one InvitationData column: its special format, or its type's."""
    column = InvitationData.__table__.columns[name]
    if name in SPECIAL_FIELDS:
        return SPECIAL_FIELDS[name]()
    nullable = bool(column.nullable)
    kind = column.type
    if name.endswith("_url") and isinstance(kind, String):
        return Url(kind.length or 500, allow_none=nullable)
    if isinstance(kind, Boolean):
        return Bool(allow_none=nullable)
    if isinstance(kind, String) and kind.length:
        field = MultilineText if name in MULTILINE_COLUMNS else Text
        return field(allow_none=nullable, validate=validate.Length(max=kind.length))
    if isinstance(kind, TextType | String):
        return MultilineText(allow_none=nullable, validate=validate.Length(max=MAX_LONG_TEXT))
    if isinstance(kind, Date):
        return Day(allow_none=nullable)
    if isinstance(kind, Integer | Numeric | JSON | UTCDateTime):
        raise TypeError(f"InvitationData.{name} needs an entry in SPECIAL_FIELDS")
    raise TypeError(f"InvitationData.{name}: no editor field for {kind!r}")


EDITABLE_COLUMNS = tuple(InvitationDataSchema().fields)

# Every editable column, each optional: a PATCH sends only what changes; `null` clears a
# nullable one; unknown fields are refused (422).
EditorDataUpdateSchema = type(
    "EditorDataUpdateSchema",
    (Schema,),
    {name: _field_for_column(name) for name in EDITABLE_COLUMNS},
)


class EditorDataSchema(InvitationDataSchema):
    """What the editor reads: every editable column; coordinates as JSON numbers."""

    ceremony_latitude = fields.Float(allow_none=True)
    ceremony_longitude = fields.Float(allow_none=True)
    reception_latitude = fields.Float(allow_none=True)
    reception_longitude = fields.Float(allow_none=True)


class IfMatchHeader(Schema):
    if_match = Text(
        data_key="If-Match",
        metadata={
            "description": 'The ETag last read (`"v7"`). Optional (blank or `*`: any version); '
            "when it names no current version the change is refused with 412 and nothing "
            "is saved."
        },
    )


# --- Events ----------------------------------------------------------------------------------


class EditorEventSchema(SQLAlchemySchema):
    class Meta:
        model = InvitationEvent

    id = auto_field()
    event_type = fields.String(validate=validate.OneOf(EVENT_TYPES))
    title = auto_field()
    description = auto_field()
    starts_at = auto_field()
    ends_at = auto_field()
    venue_name = auto_field()
    venue_address = auto_field()
    map_url = auto_field()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    display_order = auto_field()


class EventUpdateSchema(Schema):
    """`ends_at` must be after `starts_at` (checked on the merged result of a PATCH too)."""

    event_type = fields.String(validate=validate.OneOf(EVENT_TYPES))
    title = NonBlankText(200)
    description = MultilineText(allow_none=True, validate=validate.Length(max=MAX_LONG_TEXT))
    starts_at = Moment(allow_none=True)
    ends_at = Moment(allow_none=True)
    venue_name = Text(allow_none=True, validate=validate.Length(max=200))
    venue_address = Text(allow_none=True, validate=validate.Length(max=300))
    map_url = Url(allow_none=True)
    latitude = Coordinate(90, allow_none=True)
    longitude = Coordinate(180, allow_none=True)


class EventCreateSchema(EventUpdateSchema):
    event_type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    title = NonBlankText(200, required=True)


class EventOrderSchema(Schema):
    ids = fields.List(
        Id(),
        required=True,
        validate=[validate.Length(max=MAX_EVENT_IDS), _distinct],
        metadata={
            "uniqueItems": True,
            "description": "Every event id of the invitation, once each, in the new order.",
        },
    )
