"""Izipay payment requests and answers."""

from marshmallow import EXCLUDE, Schema, fields, validate

from api.schemas.fields import Text


class FormTokenRequestSchema(Schema):
    order_number = Text(required=True, validate=validate.Length(min=1, max=32))


class FormTokenSchema(Schema):
    form_token = fields.String()
    public_key = fields.String()
    order_number = fields.String()
    amount = fields.Integer(metadata={"description": "In céntimos: 14900 is S/ 149.00"})
    currency = fields.String()


SIGNED_FIELD_NAMES = ("kr-answer", "kr-hash", "kr-hash-algorithm", "kr-hash-key", "kr-answer-type")
# Without them there is nothing to verify: the document says so, the service answers 400.
NEEDED_SIGNED_FIELDS = ("kr-answer", "kr-hash")


def _signed_fields() -> dict:
    # Kept under the gateway's own names; presence is checked by the service (400, not 422).
    return {
        name: fields.String(
            metadata={"required_by_service": True, "minLength": 1}
            if name in NEEDED_SIGNED_FIELDS
            else {}
        )
        for name in SIGNED_FIELD_NAMES
    }


# mypy cannot follow a base class made at run time (both schemas below take their fields
# from Izipay's list of signed fields).
class IpnFormSchema(Schema.from_dict(_signed_fields(), name="IpnFormBase")):  # type: ignore[misc]
    class Meta:
        unknown = EXCLUDE


class BrowserReturnSchema(Schema.from_dict(_signed_fields(), name="BrowserReturnBase")):  # type: ignore[misc]
    class Meta:
        unknown = EXCLUDE


class AcknowledgementSchema(Schema):
    status = fields.String()
    outcome = fields.String()


class PaymentsHealthSchema(Schema):
    status = fields.String()
    configured = fields.Boolean()
    mode = fields.String(allow_none=True)
    gateway = fields.String(metadata={"optional": True, "description": "With deep=1 only."})


class PaymentsHealthArgs(Schema):
    deep = fields.Boolean(load_default=False)


class RefundRequestSchema(Schema):
    comment = Text(validate=validate.Length(max=255))
