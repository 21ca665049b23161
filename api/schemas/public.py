"""What guests read and send: the public invitation page, an RSVP, the calendar."""

from marshmallow import Schema, ValidationError, fields, post_dump, validate, validates_schema

from api.schemas.editor import EditorDataSchema, EditorEventSchema
from api.schemas.fields import MultilineText, NonBlankText, Text
from models.invitation_response import RESPONSE_STATUSES, STATUS_DECLINED
from services.public_pages import PRIVATE_DATA_FIELDS
from utils.phones import PHONE_RULE
from utils.text import CONTROL_RANGES

MAX_MESSAGE = 1_000
# 0 (a decline) up to the most passes a guest link may have; the invitation's own cap is
# checked by the service.
MAX_PARTY = 20
_EMAIL_CHAR = rf"[^@\s{CONTROL_RANGES}]"
EMAIL_PATTERN = rf"^{_EMAIL_CHAR}+@{_EMAIL_CHAR}+\.{_EMAIL_CHAR}+$"
PHONE_PATTERN = r"^\+?[0-9 ()\-.]{8,25}$"


class PublicDataSchema(EditorDataSchema):
    """The content guests see. Fields the page does not show (gifts while gifts are off, a
    section the template leaves out, what the plan lacks) are null."""

    class Meta(EditorDataSchema.Meta):
        exclude = (*EditorDataSchema.Meta.exclude, *PRIVATE_DATA_FIELDS)


class PublicMediaSchema(Schema):
    """A file as guests load it: the contract's media fields, nothing about how it is stored."""

    id = fields.Integer()
    media_type = fields.String()
    url = fields.String(metadata={"format": "uri"})
    thumbnail_url = fields.String(allow_none=True, metadata={"format": "uri"})
    mime_type = fields.String()
    size_bytes = fields.Integer()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)
    caption = fields.String(allow_none=True)
    display_order = fields.Integer()


class PublicTemplateSchema(Schema):
    slug = fields.String()
    category = fields.String()
    config = fields.Dict(allow_none=True)


class RsvpStateSchema(Schema):
    enabled = fields.Boolean(metadata={"description": "The invitation takes answers at all."})
    open = fields.Boolean(metadata={"description": "It takes them today (Lima time)."})
    deadline = fields.Date(
        allow_none=True, metadata={"description": "Last day answers are taken (Lima)."}
    )
    message = fields.String(allow_none=True)
    max_guests = fields.Integer(
        metadata={"description": "The most people one answer may bring through this link."}
    )


class GuestAnswerSchema(Schema):
    status = fields.String(validate=validate.OneOf(RESPONSE_STATUSES))
    number_of_guests = fields.Integer()
    message = fields.String(allow_none=True)
    dietary_restrictions = fields.String(allow_none=True)
    updated_at = fields.DateTime()


class GuestBlockSchema(Schema):
    guest_name = fields.String()
    max_guests = fields.Integer()
    response = fields.Nested(GuestAnswerSchema, allow_none=True)


class PublicInvitationSchema(Schema):
    code = fields.String()
    title = fields.String()
    template = fields.Nested(PublicTemplateSchema)
    data = fields.Nested(PublicDataSchema, allow_none=True)
    events = fields.List(fields.Nested(EditorEventSchema))
    media = fields.List(fields.Nested(PublicMediaSchema))
    rsvp = fields.Nested(RsvpStateSchema)
    guest = fields.Nested(
        GuestBlockSchema,
        allow_none=True,
        metadata={"description": "The guest of a personal link; null for the main code."},
    )
    calendar_url = fields.String(metadata={"format": "uri"})

    @post_dump(pass_original=True)
    def _hide_unshown(self, page: dict, view, **_kwargs) -> dict:
        if page.get("data"):
            for name in view.hidden_data_fields:
                if name in page["data"]:
                    page["data"][name] = None
        return page


class RsvpSchema(Schema):
    """A guest's answer. A decline brings nobody (`number_of_guests` 0, the default); a
    confirmation brings 1 up to the link's passes."""

    guest_name = NonBlankText(150, required=True)
    status = fields.String(required=True, validate=validate.OneOf(RESPONSE_STATUSES))
    number_of_guests = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_PARTY))
    phone = Text(
        allow_none=True,
        validate=validate.Regexp(PHONE_PATTERN, error=f"Must be {PHONE_RULE}."),
        metadata={"description": f"{PHONE_RULE}."},
    )
    email = Text(
        allow_none=True,
        validate=[validate.Length(max=255), validate.Regexp(EMAIL_PATTERN)],
    )
    message = MultilineText(allow_none=True, validate=validate.Length(max=MAX_MESSAGE))
    dietary_restrictions = MultilineText(allow_none=True, validate=validate.Length(max=500))

    @validates_schema
    def _guests_match_status(self, answer: dict, **_kwargs) -> None:
        guests = answer.get("number_of_guests")
        if answer.get("status") == STATUS_DECLINED:
            if guests not in (None, 0):
                raise ValidationError("A decline brings nobody: send 0.", "number_of_guests")
        elif answer.get("status") is not None and guests is None:
            raise ValidationError("Say how many people come (at least 1).", "number_of_guests")
        elif guests == 0:
            raise ValidationError("A confirmation brings at least 1 person.", "number_of_guests")


class RsvpResultSchema(Schema):
    id = fields.Integer()
    guest_name = fields.String()
    status = fields.String(validate=validate.OneOf(RESPONSE_STATUSES))
    number_of_guests = fields.Integer()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    dietary_restrictions = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
