"""Libro de Reclamaciones: the consumer's filing and tracking, and the admin's view and answer."""

import re

from flask_marshmallow.sqla import SQLAlchemyAutoSchema, SQLAlchemySchema
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from marshmallow_sqlalchemy import auto_field

from api.schemas.auth import ASCII_WHITESPACE
from api.schemas.common import PaginationArgs
from api.schemas.fields import (
    Bool,
    Email,
    Money,
    MoneyInput,
    NonBlankText,
    Pattern,
    QueryBool,
    Text,
)
from models.claim import CLAIM_STATUSES, CLAIM_TYPES, DOCUMENT_TYPES, ITEM_TYPES, Claim
from services import claims
from utils.emails import normalize_email

MAX_TEXT = 10_000
# What any of the four documents may look like; the exact rule depends on document_type.
DOCUMENT_NUMBER_PATTERN = r"^[0-9A-Za-z]{6,12}$"
DOCUMENT_RULES = {
    "DNI": (re.compile(r"[0-9]{8}"), "A DNI is exactly 8 digits."),
    "RUC": (re.compile(r"(10|20)[0-9]{9}"), "A RUC is 11 digits starting with 10 or 20."),
    "CE": (
        re.compile(r"[0-9A-Za-z]{9,12}"),
        "A carné de extranjería is 9 to 12 letters or digits.",
    ),
    "PASAPORTE": (re.compile(r"[0-9A-Za-z]{6,12}"), "A passport is 6 to 12 letters or digits."),
}
# 6 to 20 digits, an optional leading `+`, and the spaces, dashes, dots and brackets people
# write between them: landlines (`(01) 234-5678`) as well as mobiles.
PHONE_PATTERN = r"^\+?[ ()\-.]*([0-9][ ()\-.]*){6,20}$"
PHONE_SEPARATORS = re.compile(r"[ ()\-.]")
# The single-line fields, trimmed of the whitespace NonBlankText ignores.
TRIMMED_FIELDS = ("full_name", "address", "guardian_name", "item_description", "order_number")


class ClaimCreateSchema(Schema):
    claim_type = fields.String(
        required=True,
        validate=validate.OneOf(CLAIM_TYPES),
        metadata={"description": "`reclamo`: about the product or service; `queja`: about "
                  "the attention received."},
    )  # fmt: skip
    full_name = NonBlankText(200, required=True)
    document_type = fields.String(required=True, validate=validate.OneOf(DOCUMENT_TYPES))
    document_number = Text(
        required=True,
        validate=Pattern(DOCUMENT_NUMBER_PATTERN, error="Letters and digits only, 6 to 12."),
        metadata={"description": "DNI: 8 digits; RUC: 11 digits starting with 10 or 20; "
                  "CE: 9–12 letters or digits; PASAPORTE: 6–12 letters or digits. "
                  "Stored upper-case."},
    )  # fmt: skip
    address = NonBlankText(300, required=True)
    email = Email(required=True, metadata={"description": "Stored lower-case."})
    phone = Text(
        allow_none=True,
        validate=[
            validate.Length(max=30),
            Pattern(PHONE_PATTERN, error="Must be 6 to 20 digits, optionally after a +."),
        ],
        metadata={"description": "Stored as its digits (and a leading + when sent)."},
    )
    is_minor = Bool(load_default=False)
    guardian_name = NonBlankText(
        200,
        allow_none=True,
        metadata={"description": "Required when is_minor is true; dropped otherwise."},
    )
    item_type = fields.String(required=True, validate=validate.OneOf(ITEM_TYPES))
    item_description = NonBlankText(500, required=True)
    amount = MoneyInput(allow_none=True)
    detail = NonBlankText(MAX_TEXT, multiline=True, required=True)
    consumer_request = NonBlankText(MAX_TEXT, multiline=True, required=True)
    order_number = NonBlankText(
        32,
        allow_none=True,
        metadata={"description": "An order of the signed-in filer (a token is then needed)."},
    )

    @validates_schema(skip_on_field_errors=False)
    def _document_and_guardian(self, data, **kwargs):
        problems: dict[str, list[str]] = {}
        rule = DOCUMENT_RULES.get(data.get("document_type"))
        number = data.get("document_number")
        if rule is not None and isinstance(number, str) and not rule[0].fullmatch(number):
            problems["document_number"] = [rule[1]]
        if data.get("is_minor") is True and not data.get("guardian_name"):
            problems["guardian_name"] = ["Required when the consumer is a minor."]
        if problems:
            raise ValidationError(problems)

    @post_load
    def _normalize(self, data, **kwargs):
        for name in TRIMMED_FIELDS:
            if isinstance(data.get(name), str):
                data[name] = data[name].strip(ASCII_WHITESPACE)
        data["email"] = normalize_email(data["email"])
        data["document_number"] = data["document_number"].upper()
        if data.get("phone"):
            data["phone"] = PHONE_SEPARATORS.sub("", data["phone"])
        else:
            data["phone"] = None
        if not data["is_minor"]:
            data["guardian_name"] = None
        return data


class ClaimReceiptSchema(Schema):
    """What the filer gets back: the code to track the claim with, and when it is answered."""

    code = fields.String(metadata={"example": "LR-2026-000001"})
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES))
    created_at = fields.DateTime()
    response_due_date = fields.Date(
        metadata={"description": "The 15th business day after filing (Lima), holidays skipped."}
    )


class ClaimTrackingArgs(Schema):
    email = Text(validate=validate.Length(max=255), metadata={"description": "The filer's."})


class ClaimStatusSchema(ClaimReceiptSchema):
    response = fields.String(allow_none=True)
    responded_at = fields.DateTime(allow_none=True)


# --- Admin ---------------------------------------------------------------------------------


class AdminClaimQueryArgs(PaginationArgs):
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES))
    overdue = QueryBool(
        metadata={"description": "true: not answered and past the due date (Lima); "
                  "false: the others."}
    )  # fmt: skip


class _DeadlineSchema(Schema):
    """Where a claim stands against its due date, as admins see it."""

    business_days_left = fields.Function(
        claims.business_days_left,
        metadata={
            "type": "integer",
            "description": "Business days from today (Lima) to the due date, negative once "
            "overdue; for an answered claim, as they stood on the day it was answered.",
        },
    )
    is_overdue = fields.Function(
        claims.is_overdue,
        metadata={"type": "boolean", "description": "Not answered and past the due date."},
    )


def _order_number(claim: Claim) -> str | None:
    return claim.order.order_number if claim.order else None


ORDER_NUMBER = {"type": "string", "nullable": True, "description": "The linked order's."}


class AdminClaimSchema(_DeadlineSchema, SQLAlchemySchema):
    """A claim in the admin's list: who, what, and where it stands against its deadline."""

    class Meta:
        model = Claim

    id = auto_field()
    code = auto_field()
    claim_type = fields.String(validate=validate.OneOf(CLAIM_TYPES))
    full_name = auto_field()
    email = auto_field()
    item_type = fields.String(validate=validate.OneOf(ITEM_TYPES))
    amount = Money(allow_none=True)
    order_number = fields.Function(_order_number, metadata=ORDER_NUMBER)
    user_id = auto_field()
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES))
    created_at = auto_field()
    response_due_date = auto_field()
    responded_at = auto_field()


class AdminClaimDetailSchema(_DeadlineSchema, SQLAlchemyAutoSchema):
    """Every column of a claim, its order's number and its deadline."""

    class Meta:
        model = Claim
        include_fk = True

    claim_type = fields.String(validate=validate.OneOf(CLAIM_TYPES))
    document_type = fields.String(validate=validate.OneOf(DOCUMENT_TYPES))
    item_type = fields.String(validate=validate.OneOf(ITEM_TYPES))
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES))
    amount = Money(allow_none=True)
    order_number = fields.Function(_order_number, metadata=ORDER_NUMBER)


class ClaimResponseSchema(Schema):
    response = NonBlankText(
        MAX_TEXT,
        multiline=True,
        required=True,
        metadata={"description": "Sent to the consumer by e-mail."},
    )
