"""Coupons: the SPA's code check, and the admin's coupons and their uses."""

from flask_marshmallow.sqla import SQLAlchemyAutoSchema, SQLAlchemySchema
from marshmallow import Schema, fields, post_load, validate
from marshmallow_sqlalchemy import auto_field

from api.schemas.common import PaginationArgs
from api.schemas.fields import Bool, Id, Moment, Money, MoneyInput, Pattern, QueryBool, Text
from models.coupon import DISCOUNT_TYPES, Coupon, CouponUsage

MAX_CHECKED_PLANS = 20
COUPON_CODE_PATTERN = r"^[A-Za-z0-9_-]+$"


class CouponCheckSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=50))
    subtotal = MoneyInput()
    # The cart's plans, to check a coupon limited to some plans.
    plan_ids = fields.List(Id(), validate=validate.Length(max=MAX_CHECKED_PLANS))


class CouponValiditySchema(Schema):
    valid = fields.Boolean()
    code = fields.String()
    discount_type = fields.String(validate=validate.OneOf(DISCOUNT_TYPES))
    discount_value = Money()
    discount_amount = Money(metadata={"optional": True, "description": "When subtotal was sent."})
    min_order_amount = Money(allow_none=True)
    valid_until = fields.DateTime(allow_none=True)
    plan_ids = fields.List(fields.Integer())


# --- Admin ---------------------------------------------------------------------------------


def _plan_ids(coupon: Coupon) -> list[int]:
    return [plan.id for plan in coupon.plans]


class AdminCouponSchema(SQLAlchemyAutoSchema):
    """Every column of a coupon, and the plans it is limited to ([] = every plan)."""

    class Meta:
        model = Coupon

    discount_type = fields.String(validate=validate.OneOf(DISCOUNT_TYPES))
    discount_value = Money()
    min_order_amount = Money(allow_none=True)
    plan_ids = fields.Function(_plan_ids, metadata={"type": "array", "items": {"type": "integer"}})


def CouponCode(**kwargs):  # noqa: N802 - reads as a field type
    return Text(
        validate=[
            validate.Length(min=3, max=50),
            Pattern(COUPON_CODE_PATTERN, error="Letters, digits, '-' and '_' only."),
        ],
        **kwargs,
    )


class CouponUpdateSchema(Schema):
    code = CouponCode()
    description = Text(allow_none=True, validate=validate.Length(max=255))
    discount_type = fields.String(validate=validate.OneOf(DISCOUNT_TYPES))
    # Over 0; a percentage at most 100 (checked with the type, also on a partial change).
    discount_value = MoneyInput()
    min_order_amount = MoneyInput(allow_none=True)
    max_uses = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=1_000_000)
    )
    max_uses_per_user = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=1_000)
    )
    valid_from = Moment(allow_none=True)
    valid_until = Moment(allow_none=True)
    is_active = Bool()
    # [] = every plan.
    plan_ids = fields.List(Id(), validate=validate.Length(max=100))

    @post_load
    def _normalize(self, data, **kwargs):
        if data.get("code"):
            data["code"] = data["code"].strip().upper()
        return data


class CouponCreateSchema(CouponUpdateSchema):
    code = CouponCode(required=True)
    discount_type = fields.String(required=True, validate=validate.OneOf(DISCOUNT_TYPES))
    discount_value = MoneyInput(required=True)


class CouponQueryArgs(PaginationArgs):
    q = Text(validate=validate.Length(max=50))
    is_active = QueryBool()


class CouponUsageSchema(SQLAlchemySchema):
    class Meta:
        model = CouponUsage

    id = auto_field()
    coupon_id = auto_field()
    user_id = auto_field()
    # The user is gone (SET NULL) once the account is erased.
    user_email = fields.Function(
        lambda usage: usage.user.email if usage.user else None,
        allow_none=True,
        metadata={"type": "string"},
    )
    order_number = fields.String(attribute="order.order_number")
    order_status = fields.String(attribute="order.status")
    discount_amount = Money()
    created_at = auto_field()
