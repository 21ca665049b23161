"""The couple's RSVP dashboard: answers, their summary, history, activity and exports."""

from datetime import UTC

from flask_marshmallow.sqla import SQLAlchemySchema
from marshmallow import Schema, fields, pre_dump, validate
from marshmallow_sqlalchemy import auto_field

from api.schemas.common import PaginationArgs
from api.schemas.fields import Text
from models.invitation_response import RESPONSE_STATUSES, InvitationResponse
from models.invitation_response_change import CHANGE_KINDS, InvitationResponseChange
from models.invitation_url import InvitationUrl
from services.invitation_responses import EXPORT_FORMATS


class Instant(fields.AwareDateTime):
    """An ISO 8601 date-time (no offset = UTC), loaded as an aware UTC datetime."""

    default_error_messages = {"out_of_range": "Must be a date-time between years 1 and 9999."}

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError as error:
            raise self.make_error("out_of_range") from error


class ResponseQueryArgs(PaginationArgs):
    status = fields.String(validate=validate.OneOf(RESPONSE_STATUSES))
    q = Text(
        validate=validate.Length(max=100),
        metadata={"description": "Part of the name, phone or e-mail (any case)."},
    )


class ActivityQueryArgs(PaginationArgs):
    since = Instant(metadata={"description": "Only what happened after this instant."})


class ExportQueryArgs(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(EXPORT_FORMATS))


class GuestLinkRefSchema(SQLAlchemySchema):
    """The guest link ("pase") an answer came through."""

    class Meta:
        model = InvitationUrl

    id = auto_field()
    code = auto_field()
    guest_name = auto_field()
    max_guests = auto_field()
    is_active = auto_field()


class InvitationResponseSchema(SQLAlchemySchema):
    class Meta:
        model = InvitationResponse

    id = auto_field()
    guest_name = auto_field()
    phone = auto_field()
    email = auto_field()
    status = fields.String(validate=validate.OneOf(RESPONSE_STATUSES))
    number_of_guests = auto_field()
    message = auto_field()
    dietary_restrictions = auto_field()
    created_at = auto_field()
    updated_at = auto_field()
    invitation_url_id = auto_field()
    guest_link = fields.Nested(
        GuestLinkRefSchema,
        attribute="invitation_url",
        allow_none=True,
        metadata={"description": "Null for answers through the main or a custom code."},
    )


class RsvpSummarySchema(Schema):
    total = fields.Integer(metadata={"description": "Answers."})
    confirmed = fields.Integer(metadata={"description": "Answers confirmed."})
    declined = fields.Integer(metadata={"description": "Answers declined."})
    guests_confirmed = fields.Integer(
        metadata={"description": "Sum of `number_of_guests` over confirmed answers."}
    )
    guest_links_total = fields.Integer(metadata={"description": "Active guest links."})
    guest_links_answered = fields.Integer(
        metadata={"description": "Active guest links with an answer."}
    )
    pending_links = fields.Integer(metadata={"description": "Active guest links not answered."})
    passes_total = fields.Integer(
        metadata={"description": "Sum of `max_guests` over active guest links."}
    )
    passes_pending = fields.Integer(
        metadata={"description": "Sum of `max_guests` over active guest links not answered."}
    )
    guests_expected = fields.Integer(
        allow_none=True,
        metadata={
            "description": "guests_confirmed + round-half-up(passes_pending × r), r = guests "
            "confirmed through guest links ÷ passes of answered guest links; null while no "
            "guest link is answered."
        },
    )


class ResponseChangeSchema(SQLAlchemySchema):
    """One step of an answer's history."""

    class Meta:
        model = InvitationResponseChange

    change = fields.String(validate=validate.OneOf(CHANGE_KINDS))
    status = fields.String(validate=validate.OneOf(RESPONSE_STATUSES))
    number_of_guests = auto_field()
    guest_name = auto_field()
    message = auto_field()
    from_status = fields.String(allow_none=True, validate=validate.OneOf(RESPONSE_STATUSES))
    from_number_of_guests = auto_field()
    changed_at = auto_field()


class AnswerStateSchema(Schema):
    status = fields.String(validate=validate.OneOf(RESPONSE_STATUSES))
    number_of_guests = fields.Integer()


class ActivitySchema(Schema):
    """An entry of the activity feed."""

    response_id = fields.Integer()
    guest_name = fields.String()
    change = fields.String(validate=validate.OneOf(CHANGE_KINDS))
    from_ = fields.Nested(
        AnswerStateSchema,
        data_key="from",
        allow_none=True,
        metadata={"description": "The answer before this change; null for a creation."},
    )
    to = fields.Nested(AnswerStateSchema)
    at = fields.DateTime()

    @pre_dump
    def _entry(self, change: InvitationResponseChange, **kwargs) -> dict:
        before = None
        if change.from_status is not None:
            before = {
                "status": change.from_status,
                "number_of_guests": change.from_number_of_guests,
            }
        return {
            "response_id": change.response_id,
            "guest_name": change.guest_name,
            "change": change.change,
            "from_": before,
            "to": {"status": change.status, "number_of_guests": change.number_of_guests},
            "at": change.changed_at,
        }
