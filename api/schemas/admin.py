"""Admin views of users, the catalogue (plans, templates) and coupons."""

import json
import re
from datetime import UTC

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from api.schemas.auth import UserSchema
from api.schemas.catalog import PlanSchema, TemplateSchema
from api.schemas.commerce import OrderSchema
from api.schemas.common import PaginationArgs
from api.schemas.fields import Money, validate_not_blank
from models.coupon import DISCOUNT_TYPES
from models.order import ORDER_STATUSES
from models.template import CATEGORIES
from models.user import ROLES


class AdminUserSchema(UserSchema):
    last_login_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    deleted_at = fields.DateTime(allow_none=True)


class UserQueryArgs(PaginationArgs):
    q = fields.String(validate=validate.Length(max=100))
    role = fields.String(validate=validate.OneOf(ROLES))


class AdminUserUpdateSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    is_active = fields.Boolean()


# --- Catalogue and coupons -----------------------------------------------------------------

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COUPON_CODE = re.compile(r"^[A-Za-z0-9_-]+$")
HTTP_URL = validate.URL(schemes={"http", "https"}, require_tld=False)
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
MAX_JSON_CHARS = 20_000


def _slug(**kwargs):
    return fields.String(
        validate=[
            validate.Length(min=2, max=100),
            validate.Regexp(SLUG, error="Lower-case letters, digits and single hyphens only."),
        ],
        **kwargs,
    )


def _text(max_length: int, **kwargs):
    return fields.String(
        validate=[validate.Length(min=1, max=max_length), validate_not_blank], **kwargs
    )


def _order(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000), **kwargs)


def validate_asset_url(value: str) -> None:
    """An http(s) URL, or a path on this site such as the seeded `/previews/<slug>`."""
    if value.startswith("/") and not value.startswith("//"):
        return
    HTTP_URL(value)


def _url(**kwargs):
    return fields.String(
        allow_none=True, validate=[validate.Length(max=500), validate_asset_url], **kwargs
    )


def validate_features(features: dict) -> None:
    problems = []
    for key, value in features.items():
        kind = PLAN_FEATURES.get(key)
        if kind is None:
            problems.append(f"Unknown feature {key!r}; known: {', '.join(PLAN_FEATURES)}.")
        elif kind is bool and not isinstance(value, bool):
            problems.append(f"{key} must be true or false.")
        elif kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            problems.append(f"{key} must be a whole number of 0 or more.")
    if problems:
        raise ValidationError(problems)


def validate_json_size(value: dict) -> None:
    if len(json.dumps(value)) > MAX_JSON_CHARS:
        raise ValidationError(f"Must be at most {MAX_JSON_CHARS} characters of JSON.")


class AdminPlanSchema(PlanSchema):
    is_active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class AdminTemplateSchema(TemplateSchema):
    is_active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PlanUpdateSchema(Schema):
    name = _text(100)
    slug = _slug()
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    price = Money()
    features = fields.Dict(keys=fields.String(), validate=[validate_features, validate_json_size])
    is_active = fields.Boolean()
    display_order = _order()


class PlanCreateSchema(PlanUpdateSchema):
    name = _text(100, required=True)
    slug = _slug(required=True)
    price = Money(required=True)


class TemplateUpdateSchema(Schema):
    name = _text(120)
    slug = _slug()
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    price = Money()
    preview_url = _url()
    thumbnail_url = _url()
    is_active = fields.Boolean()
    display_order = _order()
    config = fields.Dict(keys=fields.String(), validate=validate_json_size)


class TemplateCreateSchema(TemplateUpdateSchema):
    name = _text(120, required=True)
    slug = _slug(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))


class CatalogQueryArgs(PaginationArgs):
    q = fields.String(validate=validate.Length(max=100))
    is_active = fields.Boolean()


class AdminTemplateQueryArgs(CatalogQueryArgs):
    category = fields.String(validate=validate.OneOf(CATEGORIES))


class AdminCouponSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    description = fields.String(allow_none=True)
    discount_type = fields.String()
    discount_value = Money()
    min_order_amount = Money(allow_none=True)
    max_uses = fields.Integer(allow_none=True)
    max_uses_per_user = fields.Integer(allow_none=True)
    used_count = fields.Integer()
    valid_from = fields.DateTime(allow_none=True)
    valid_until = fields.DateTime(allow_none=True)
    is_active = fields.Boolean()
    plan_ids = fields.Method("_plan_ids", metadata={"type": "array", "items": {"type": "integer"}})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _plan_ids(self, coupon) -> list[int]:
        return [plan.id for plan in coupon.plans]


class CouponUpdateSchema(Schema):
    code = fields.String(
        validate=[
            validate.Length(min=3, max=50),
            validate.Regexp(COUPON_CODE, error="Letters, digits, '-' and '_' only."),
        ]
    )
    description = fields.String(allow_none=True, validate=validate.Length(max=255))
    discount_type = fields.String(validate=validate.OneOf(DISCOUNT_TYPES))
    # Over 0; a percentage at most 100 (checked with the type, also on a partial change).
    discount_value = Money()
    min_order_amount = Money(allow_none=True)
    max_uses = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=1_000_000)
    )
    max_uses_per_user = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=1_000)
    )
    valid_from = fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    valid_until = fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    is_active = fields.Boolean()
    # [] = every plan.
    plan_ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1)),
        validate=validate.Length(max=100),
    )

    @post_load
    def _normalize(self, data, **kwargs):
        if data.get("code"):
            data["code"] = data["code"].strip().upper()
        return data


class CouponCreateSchema(CouponUpdateSchema):
    code = fields.String(
        required=True,
        validate=[
            validate.Length(min=3, max=50),
            validate.Regexp(COUPON_CODE, error="Letters, digits, '-' and '_' only."),
        ],
    )
    discount_type = fields.String(required=True, validate=validate.OneOf(DISCOUNT_TYPES))
    discount_value = Money(required=True)


class CouponQueryArgs(PaginationArgs):
    q = fields.String(validate=validate.Length(max=50))
    is_active = fields.Boolean()


class CouponUsageSchema(Schema):
    id = fields.Integer()
    coupon_id = fields.Integer()
    user_id = fields.Integer(allow_none=True)
    user_email = fields.String(attribute="user.email", allow_none=True)
    order_number = fields.String(attribute="order.order_number")
    order_status = fields.String(attribute="order.status")
    discount_amount = Money()
    created_at = fields.DateTime()


class AdminOrderQueryArgs(PaginationArgs):
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    q = fields.String(validate=validate.Length(max=100))
    date_from = fields.Date()
    date_to = fields.Date()

    @validates_schema
    def _ordered_dates(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError("Must not be before date_from.", "date_to")


class PaymentTransactionSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    source = fields.String()
    transaction_uuid = fields.String(allow_none=True)
    order_status = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    detailed_status = fields.String(allow_none=True)
    amount = fields.Integer(allow_none=True, metadata={"description": "céntimos"})
    currency = fields.String(allow_none=True)
    mode = fields.String(allow_none=True)
    flagged = fields.Boolean()
    flag_reason = fields.String(allow_none=True)
    processed = fields.Boolean()
    times_received = fields.Integer()
    received_at = fields.DateTime()
    last_received_at = fields.DateTime(allow_none=True)


class OrderEventSchema(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    reason = fields.String(allow_none=True)
    actor_user_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class AdminOrderSchema(OrderSchema):
    user_id = fields.Integer()
    user_email = fields.Function(lambda order: order.user.email if order.user else None)


class AdminOrderDetailSchema(AdminOrderSchema):
    events = fields.List(fields.Nested(OrderEventSchema))
    payment_transactions = fields.List(fields.Nested(PaymentTransactionSchema))
