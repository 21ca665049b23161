"""Invitations: the invitation itself, its links, and the editable content (`invitation_data`)."""

from flask_marshmallow.sqla import SQLAlchemyAutoSchema, SQLAlchemySchema
from marshmallow import Schema, fields, validate
from marshmallow.validate import OneOf
from marshmallow_sqlalchemy import auto_field

from api.schemas.catalog import PlanSchema, TemplateSchema
from api.schemas.common import PaginationArgs
from api.schemas.fields import Id, NonBlankText, QueryBool, Text
from models.invitation import Invitation
from models.invitation_data import LANGUAGES, InvitationData
from models.invitation_media import MEDIA_TYPES, InvitationMedia
from models.invitation_url import URL_KINDS, InvitationUrl
from services import invitation_urls
from utils.links import short_link_url

MAX_TITLE = 200


class InvitationDataSchema(SQLAlchemyAutoSchema):
    """Every editable column of InvitationData: a column added to the model is editable here
    too, with its type, length and nullability; the row's keys and timestamps are not."""

    class Meta:
        model = InvitationData
        # The media ids (cover, music, og image) are editable foreign keys.
        include_fk = True
        exclude: tuple[str, ...] = ("id", "invitation_id", "created_at", "updated_at")

    language = auto_field(validate=OneOf(LANGUAGES))


class InvitationMediaSchema(SQLAlchemyAutoSchema):
    class Meta:
        model = InvitationMedia
        exclude = ("invitation_id", "storage_key", "thumbnail_key", "updated_at")

    media_type = fields.String(validate=validate.OneOf(MEDIA_TYPES))
    # Built from the stored keys when served (docs/editor-and-media.md, "Media").
    url = fields.String(metadata={"format": "uri"})
    thumbnail_url = fields.String(allow_none=True, metadata={"format": "uri"})
    duration_seconds = fields.Float(allow_none=True)


class InvitationUrlSchema(SQLAlchemySchema):
    class Meta:
        model = InvitationUrl

    id = auto_field()
    kind = fields.String(validate=validate.OneOf(URL_KINDS))
    code = auto_field()
    url = fields.Function(lambda link: short_link_url(link.code), metadata={"format": "uri"})
    guest_name = auto_field()
    max_guests = auto_field()
    phone = auto_field(metadata={"description": "Digits with the country code (guest links)."})
    whatsapp_url = fields.Function(
        invitation_urls.whatsapp_url,
        metadata={
            "type": "string",
            "format": "uri",
            "nullable": True,
            "description": "A wa.me link with the invitation's WhatsApp message (guest links).",
        },
    )
    visits = auto_field()
    is_active = auto_field()
    response_status = fields.Function(
        lambda link: link.response.status if link.response is not None else None,
        metadata={"type": "string", "nullable": True},
    )


class InvitationSummarySchema(SQLAlchemySchema):
    """An item of the owner's list."""

    class Meta:
        model = Invitation

    id = auto_field()
    title = auto_field()
    template_id = auto_field()
    plan = fields.Nested(PlanSchema, allow_none=True)
    is_published = auto_field()
    published_at = auto_field()
    online_until = fields.DateTime(allow_none=True)
    main_code = fields.String(allow_none=True)
    # Every invitation has its data row (it is made with the invitation).
    event_date = fields.DateTime(attribute="data.event_date", allow_none=True)
    created_at = auto_field()


class InvitationSchema(InvitationSummarySchema):
    """One invitation with everything the editor shows."""

    template = fields.Nested(TemplateSchema)
    order_number = fields.Function(
        lambda invitation: invitation.order.order_number if invitation.order else None,
        metadata={"type": "string", "nullable": True},
    )
    version = auto_field()
    updated_at = auto_field()
    # By name: the editor's schemas (api/schemas/editor.py) build on this module.
    data = fields.Nested("EditorDataSchema", allow_none=True)
    events = fields.List(fields.Nested("EditorEventSchema"))
    media = fields.List(fields.Nested(InvitationMediaSchema))
    urls = fields.List(fields.Nested(InvitationUrlSchema))


class InvitationQueryArgs(PaginationArgs):
    pass


class InvitationCreateSchema(Schema):
    template_id = Id(required=True)
    title = Text(validate=validate.Length(max=MAX_TITLE), allow_none=True)


class InvitationUpdateSchema(Schema):
    title = Text(validate=validate.Length(max=MAX_TITLE))
    template_id = Id()


# --- Admin ----------------------------------------------------------------------------------


class InvitationOwnerSchema(Schema):
    id = fields.Integer()
    email = fields.String()


class AdminInvitationSchema(InvitationSummarySchema):
    """An invitation as the admin panel lists it: its owner, names and take-down."""

    owner = fields.Nested(InvitationOwnerSchema, attribute="user")
    couple_bride_name = fields.String(attribute="data.couple_bride_name", allow_none=True)
    couple_groom_name = fields.String(attribute="data.couple_groom_name", allow_none=True)
    honoree_name = fields.String(attribute="data.honoree_name", allow_none=True)
    taken_down_at = auto_field()
    take_down_reason = auto_field()


class AdminInvitationQueryArgs(PaginationArgs):
    q = Text(
        validate=validate.Length(max=100),
        metadata={"description": "Part of the owner's e-mail, the title, a name or a code."},
    )
    is_published = QueryBool()


class TakeDownSchema(Schema):
    """The body is optional: no body, `{}` and `{"reason": null}` take down without a reason."""

    reason = NonBlankText(500, allow_none=True, load_default=None)
