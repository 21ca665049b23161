"""Cart, coupon check and orders as the SPA sends and reads them."""

from marshmallow import Schema, fields, post_load, validate

from api.schemas.common import PaginationArgs
from api.schemas.fields import Currency, Money
from models.coupon import DISCOUNT_TYPES
from models.order import ORDER_STATUSES, PAYMENT_STATUSES

MAX_CART_ITEMS = 20
MAX_QUANTITY = 10


def _id(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=1), **kwargs)


def _ignored_amount():
    return fields.Raw(
        load_only=True,
        allow_none=True,
        metadata={"description": "Accepted and ignored: the server prices every cart."},
    )


class _DropsClientAmounts:
    """Amounts a SPA may echo back are accepted and thrown away, never read."""

    CLIENT_AMOUNTS: tuple[str, ...] = ()

    @post_load
    def drop_client_amounts(self, data, **kwargs):
        for name in self.CLIENT_AMOUNTS:
            data.pop(name, None)
        return data


class CartItemSchema(_DropsClientAmounts, Schema):
    CLIENT_AMOUNTS = ("unit_price", "line_total")

    plan_id = _id(required=True)
    template_id = _id(required=True)
    quantity = fields.Integer(
        strict=True, load_default=1, validate=validate.Range(min=1, max=MAX_QUANTITY)
    )
    # An existing draft of the buyer that this line pays for.
    invitation_id = _id(allow_none=True)
    unit_price = _ignored_amount()
    line_total = _ignored_amount()


class CartSchema(_DropsClientAmounts, Schema):
    CLIENT_AMOUNTS = ("subtotal", "discount", "total", "currency")

    items = fields.List(
        fields.Nested(CartItemSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_CART_ITEMS),
    )
    coupon_code = fields.String(allow_none=True, validate=validate.Length(max=50))
    subtotal = _ignored_amount()
    discount = _ignored_amount()
    total = _ignored_amount()
    currency = _ignored_amount()


class CartLineSchema(Schema):
    plan_id = fields.Integer()
    plan_name = fields.String()
    template_id = fields.Integer()
    template_name = fields.String()
    quantity = fields.Integer()
    invitation_id = fields.Integer(allow_none=True)
    unit_price = Money()
    line_total = Money()


class AppliedCouponSchema(Schema):
    code = fields.String()
    discount_type = fields.String()
    discount_value = Money()


class CartSummarySchema(Schema):
    items = fields.List(fields.Nested(CartLineSchema))
    subtotal = Money()
    discount = Money()
    total = Money()
    currency = Currency()
    coupon = fields.Nested(AppliedCouponSchema, allow_none=True)


class CouponCheckSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=50))
    subtotal = Money()
    # The cart's plans, to check a coupon limited to some plans.
    plan_ids = fields.List(_id(), validate=validate.Length(max=MAX_CART_ITEMS))


class CouponValiditySchema(Schema):
    valid = fields.Boolean()
    code = fields.String()
    discount_type = fields.String(validate=validate.OneOf(DISCOUNT_TYPES))
    discount_value = Money()
    discount_amount = Money()
    min_order_amount = Money(allow_none=True)
    valid_until = fields.DateTime(allow_none=True)
    plan_ids = fields.List(fields.Integer())


class OrderItemSchema(Schema):
    plan_id = fields.Integer()
    plan_name = fields.String()
    template_id = fields.Integer()
    template_name = fields.String()
    invitation_id = fields.Integer(allow_none=True)
    quantity = fields.Integer()
    unit_price = Money()
    line_total = Money()


class OrderSchema(Schema):
    order_number = fields.String()
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    payment_status = fields.String(validate=validate.OneOf(PAYMENT_STATUSES))
    subtotal = Money()
    discount = Money(attribute="discount_total")
    total = Money()
    currency = fields.String()
    coupon_code = fields.String(allow_none=True)
    items = fields.List(fields.Nested(OrderItemSchema))
    invitation_ids = fields.Method(
        "_invitation_ids", metadata={"type": "array", "items": {"type": "integer"}}
    )
    created_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    refunded_at = fields.DateTime(allow_none=True)

    def _invitation_ids(self, order) -> list[int]:
        return [invitation.id for invitation in order.invitations if invitation.deleted_at is None]


class OrderQueryArgs(PaginationArgs):
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
