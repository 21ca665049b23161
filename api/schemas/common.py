"""Query arguments, envelopes and the error shape shared by every domain."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import Pattern, Text
from services.idempotency import KEY_PATTERN
from utils.pagination import DEFAULT_PER_PAGE
from utils.safe_json import INT64_MAX

# The `error` codes of the error table (docs/api-conventions.md, "API conventions"): the only values
# a client has to handle.
ERROR_CODES = (
    "bad_request",
    "unauthorized",
    "invalid_credentials",
    "token_expired",
    "token_revoked",
    "invalid_signature",
    "forbidden",
    "account_disabled",
    "plan_limit_reached",
    "feature_not_in_plan",
    "not_found",
    "method_not_allowed",
    "conflict",
    "email_taken",
    "slug_taken",
    "invalid_state",
    "payment_required",
    "rsvp_closed",
    "invitation_expired",
    "precondition_failed",
    "payload_too_large",
    "unsupported_media_type",
    "validation_error",
    "idempotency_key_reused",
    "coupon_invalid",
    "rate_limited",
    "internal_server_error",
    "payment_gateway_error",
    "storage_error",
    "service_unavailable",
    "payments_not_configured",
)


class PaginationArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    # Values above the maximum are capped by the pagination helper
    # (docs/api-conventions.md, "API conventions").
    per_page = fields.Integer(
        load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=INT64_MAX)
    )


class PageSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


_page_schemas: dict[type, type] = {}
_list_schemas: dict[type, type] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The paginated envelope schema for `item_schema` (one class per item schema)."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[item_schema] = type(
            name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema))}
        )
    return _page_schemas[item_schema]


def list_of(item_schema: type[Schema]) -> type[Schema]:
    """The `{"items": [...]}` envelope of an unpaginated list (one class per item schema)."""
    if item_schema not in _list_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "ListSchema"
        _list_schemas[item_schema] = type(
            name, (Schema,), {"items": fields.List(fields.Nested(item_schema))}
        )
    return _list_schemas[item_schema]


class ErrorSchema(Schema):
    error = fields.String(required=True, validate=validate.OneOf(ERROR_CODES))
    message = fields.String(required=True)
    details = fields.Dict(
        metadata={
            "description": "For 422, each field (dotted for nested ones) and its messages.",
        }
    )


class IdempotencyKeyHeader(Schema):
    idempotency_key = Text(
        data_key="Idempotency-Key",
        validate=Pattern(KEY_PATTERN, error="1 to 255 printable ASCII characters."),
        metadata={
            "description": "1–255 printable ASCII characters. The same key with the same body "
            "answers the first response again (`Idempotent-Replayed: true`); with another "
            "body 422 `idempotency_key_reused`; while the first is running 409."
        },
    )
