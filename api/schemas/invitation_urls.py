"""An invitation's links as the owner manages them: creation (custom slug or guest link), the
CSV import, the list's query arguments."""

from collections.abc import Mapping

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from api.schemas.fields import NonBlankText, Pattern, QueryBool, Text
from api.schemas.invitations import InvitationUrlSchema
from models.invitation_url import KIND_CUSTOM, KIND_GUEST
from services.invitation_urls import (
    GUEST_NAME_MAX_LENGTH,
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    MAX_GUESTS,
    SLUG_MAX_LENGTH,
    SLUG_MIN_LENGTH,
)
from utils.phones import PHONE_RULE

# Spaces, which the server trims (line breaks and other control characters are refused).
_SPACE = r"[ ]"
# What a slug may be sent as: trimmed and lower-cased by the server before it is checked.
SLUG_INPUT_PATTERN = rf"^{_SPACE}*[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*{_SPACE}*$"
# What utils/phones.py reads: a Peruvian mobile (9 and 8 digits) or `+` and 8-15 digits, with
# spaces, dashes, dots or brackets anywhere between them.
_PHONE_SEPARATOR = r"[ ().-]"
PHONE_PATTERN = (
    rf"^{_PHONE_SEPARATOR}*(?:9(?:{_PHONE_SEPARATOR}*[0-9]){{8}}"
    rf"|\+(?:{_PHONE_SEPARATOR}*[0-9]){{8,15}}){_PHONE_SEPARATOR}*$"
)
MAX_PHONE_INPUT = 30


class InvitationUrlQueryArgs(Schema):
    include_inactive = QueryBool(
        load_default=False, metadata={"description": "Also list deactivated links."}
    )


class CustomLinkCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([KIND_CUSTOM]))
    slug = Text(
        required=True,
        validate=Pattern(SLUG_INPUT_PATTERN, error="Only letters, digits and inner hyphens."),
        metadata={
            "description": f"{SLUG_MIN_LENGTH} to {SLUG_MAX_LENGTH} characters once trimmed and "
            "lower-cased; letters, digits and single hyphens between them; not a word the "
            "site reserves (`api`, `admin`, `login`, ...); unique across all links.",
            "example": "ana-y-luis",
        },
    )


class GuestLinkCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([KIND_GUEST]))
    guest_name = NonBlankText(
        GUEST_NAME_MAX_LENGTH, required=True, metadata={"description": "Stored trimmed."}
    )
    max_guests = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=MAX_GUESTS),
        metadata={"description": "The passes (pases): how many people the link admits."},
    )
    phone = Text(
        allow_none=True,
        validate=[
            validate.Length(max=MAX_PHONE_INPUT),
            Pattern(PHONE_PATTERN, error=f"Must be {PHONE_RULE}."),
        ],
        metadata={
            "description": f"Optional: {PHONE_RULE}. Stored as digits with the country code, "
            "as wa.me takes it."
        },
    )


class InvitationUrlCreateSchema(Schema):
    """Loads the body as the shape its `kind` names; the document states both as `oneOf`."""

    SHAPES = {KIND_CUSTOM: CustomLinkCreateSchema, KIND_GUEST: GuestLinkCreateSchema}

    kind = fields.String(required=True, validate=validate.OneOf(tuple(SHAPES)))

    def load(self, data, **kwargs):
        kind = data.get("kind") if isinstance(data, Mapping) else None
        shape = self.SHAPES.get(kind) if isinstance(kind, str) else None
        if shape is not None:
            return shape().load(data, **kwargs)
        if isinstance(data, Mapping):
            # Until `kind` names a shape, only `kind` can be judged.
            data = {name: data[name] for name in ("kind",) if name in data}
        return super().load(data, **kwargs)


# How the operation documents its body: exactly one of the two shapes.
CREATE_BODY_DOC = {
    "content": {
        "application/json": {
            "schema": {"oneOf": [CustomLinkCreateSchema, GuestLinkCreateSchema]},
        }
    }
}


class InvitationUrlImportSchema(Schema):
    """The multipart form of a guest list import."""

    file = Upload(
        required=True,
        metadata={
            "description": "A CSV file with the header `guest_name,max_guests,phone` (`phone` "
            "optional; commas or semicolons; UTF-8 with or without BOM, or Windows-1252), at "
            f"most {IMPORT_MAX_ROWS} rows and {IMPORT_MAX_BYTES // (1024 * 1024)} MB.",
        },
    )


class InvitationUrlImportResultSchema(Schema):
    created = fields.Integer()
    items = fields.List(fields.Nested(InvitationUrlSchema))


# QR codes are images, documented by their media type.
BINARY = {"type": "string", "format": "binary"}
SVG = {"type": "string"}
