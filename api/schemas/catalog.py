"""The catalogue: plans and templates as the public sees them, and as the admin edits them.

Output schemas are derived from the models (marshmallow-sqlalchemy): the public ones name
the columns they show (a new column stays private until added there), the admin ones take
every column; money, currency and JSON columns get their API types.
"""

import json

from flask_marshmallow.sqla import SQLAlchemyAutoSchema, SQLAlchemySchema
from marshmallow import Schema, ValidationError, fields, validate
from marshmallow_sqlalchemy import auto_field

from api.schemas.common import PaginationArgs
from api.schemas.fields import (
    AnyJson,
    Bool,
    Currency,
    Money,
    MoneyInput,
    MultilineText,
    NonBlankText,
    Pattern,
    QueryBool,
    Text,
    UnicodeText,
)
from models.plan import Plan
from models.template import CATEGORIES, Template
from utils.media import asset_url
from utils.text import CONTROL_RANGES

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# An http(s) URL, a path on this site such as `/previews/<slug>`, or a media key such as
# the seeded `templates/<slug>/preview.jpg` (its URL built under the media base when served).
_URL_CHAR = rf"[^\s{CONTROL_RANGES}]"
MEDIA_KEY_PATTERN = r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*"
ASSET_URL_PATTERN = (
    rf"^(https?://[A-Za-z0-9.-]+(:[0-9]{{1,5}})?(/{_URL_CHAR}*)?|/([^/\s{CONTROL_RANGES}]{_URL_CHAR}*)?|"
    + MEDIA_KEY_PATTERN
    + ")$"
)
MAX_JSON_CHARS = 20_000
# Plan features the editor enforces, each with its type; no others are accepted.
PLAN_FEATURES = {
    "max_photos": int,
    "max_events": int,
    "max_guest_links": int,
    "online_days": int,
    "custom_slug": bool,
    "music": bool,
    "video": bool,
    "rsvp": bool,
}
# The most a number feature may be: enough for any plan, and `online_days` of it still
# ends inside the calendar (a larger one made every invitation of the plan a 500).
MAX_FEATURE_NUMBER = 100_000
_FEATURE_PROPERTIES = {
    name: {"type": "boolean"}
    if kind is bool
    else {"type": "integer", "minimum": 0, "maximum": MAX_FEATURE_NUMBER}
    for name, kind in PLAN_FEATURES.items()
}


def validate_features(features: dict) -> None:
    problems = []
    for key, value in features.items():
        kind = PLAN_FEATURES.get(key)
        if kind is None:
            problems.append(f"Unknown feature {key!r}; known: {', '.join(PLAN_FEATURES)}.")
        elif kind is bool and not isinstance(value, bool):
            problems.append(f"{key} must be true or false.")
        elif kind is int and (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= MAX_FEATURE_NUMBER
        ):
            problems.append(f"{key} must be a whole number from 0 to {MAX_FEATURE_NUMBER}.")
    if problems:
        raise ValidationError(problems)


def validate_json_size(value: dict) -> None:
    if len(json.dumps(value)) > MAX_JSON_CHARS:
        raise ValidationError(f"Must be at most {MAX_JSON_CHARS} characters of JSON.")


def Slug(**kwargs):  # noqa: N802 - reads as a field type
    return Text(
        validate=[
            validate.Length(min=2, max=100),
            Pattern(SLUG_PATTERN, error="Lower-case letters, digits and single hyphens only."),
        ],
        **kwargs,
    )


def AssetUrl(**kwargs):  # noqa: N802
    return Text(
        allow_none=True,
        validate=[
            validate.Length(max=500),
            Pattern(
                ASSET_URL_PATTERN,
                error="Must be an http(s) URL, a path such as /a/b or a media key such as a/b.jpg.",
            ),
        ],
        **kwargs,
    )


class ImageUrl(fields.String):
    """A template image as clients load it: absolute, built when served (docs/editor-and-media.md,
    "Media")."""

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, metadata={"format": "uri"}, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(asset_url(value), attr, obj, **kwargs)


def DisplayOrder(**kwargs):  # noqa: N802
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000), **kwargs)


def Category(**kwargs):  # noqa: N802
    return fields.String(validate=validate.OneOf(CATEGORIES), **kwargs)


def Features(**kwargs):  # noqa: N802
    """A plan's features: only the known keys, each of its type."""
    return fields.Dict(
        keys=fields.String(),
        metadata={"properties": _FEATURE_PROPERTIES, "additionalProperties": False},
        **kwargs,
    )


def TemplateConfig(**kwargs):  # noqa: N802
    # Free-form for the templates' code: keys are never shown as text, so any key passes.
    return fields.Dict(
        keys=UnicodeText(),
        values=AnyJson(allow_none=True),
        metadata={"description": f"Free-form, at most {MAX_JSON_CHARS} characters as JSON."},
        **kwargs,
    )


# --- What the public reads -----------------------------------------------------------------


class PlanSchema(SQLAlchemySchema):
    class Meta:
        model = Plan

    id = auto_field()
    name = auto_field()
    slug = auto_field()
    description = auto_field()
    price = Money()
    currency = Currency()
    features = Features()
    display_order = auto_field()


class TemplateSchema(SQLAlchemySchema):
    class Meta:
        model = Template

    id = auto_field()
    name = auto_field()
    slug = auto_field()
    category = Category()
    description = auto_field()
    price = Money()
    currency = Currency()
    preview_url = ImageUrl()
    thumbnail_url = ImageUrl()
    display_order = auto_field()
    config = TemplateConfig()


class TemplateQueryArgs(PaginationArgs):
    category = Category()
    q = Text(validate=validate.Length(max=100))


class CategoryCountSchema(Schema):
    category = Category()
    count = fields.Integer()


# --- Admin ---------------------------------------------------------------------------------


class AdminPlanSchema(SQLAlchemyAutoSchema):
    class Meta:
        model = Plan

    price = Money()
    currency = Currency()
    features = Features()


class AdminTemplateSchema(SQLAlchemyAutoSchema):
    class Meta:
        model = Template

    category = Category()
    price = Money()
    currency = Currency()
    config = TemplateConfig()
    preview_url = ImageUrl()
    thumbnail_url = ImageUrl()


class PlanUpdateSchema(Schema):
    name = NonBlankText(100)
    slug = Slug()
    description = MultilineText(allow_none=True, validate=validate.Length(max=5000))
    price = MoneyInput()
    features = Features(validate=validate_features)
    is_active = Bool()
    display_order = DisplayOrder()


class PlanCreateSchema(PlanUpdateSchema):
    name = NonBlankText(100, required=True)
    slug = Slug(required=True)
    price = MoneyInput(required=True)


class TemplateUpdateSchema(Schema):
    name = NonBlankText(120)
    slug = Slug()
    category = Category()
    description = MultilineText(allow_none=True, validate=validate.Length(max=5000))
    price = MoneyInput()
    preview_url = AssetUrl()
    thumbnail_url = AssetUrl()
    is_active = Bool()
    display_order = DisplayOrder()
    config = TemplateConfig(validate=validate_json_size)


class TemplateCreateSchema(TemplateUpdateSchema):
    name = NonBlankText(120, required=True)
    slug = Slug(required=True)
    category = Category(required=True)


class CatalogQueryArgs(PaginationArgs):
    q = Text(validate=validate.Length(max=100))
    is_active = QueryBool()


class AdminTemplateQueryArgs(CatalogQueryArgs):
    category = Category()
