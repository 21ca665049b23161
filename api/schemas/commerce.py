"""Cart and orders as the SPA sends and reads them, and orders as the admin reads them."""

from flask_marshmallow.sqla import SQLAlchemySchema
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from marshmallow_sqlalchemy import auto_field

from api.schemas.common import PaginationArgs
from api.schemas.fields import AnyJson, Currency, Id, Money, Text
from models.order import ORDER_STATUSES, PAYMENT_STATUSES, Order, OrderEvent, OrderItem
from models.payment_transaction import PaymentTransaction

MAX_CART_ITEMS = 20
MAX_QUANTITY = 10


def _ignored_amount():
    # Whatever the SPA echoes (a string, a number, null, even an object) is thrown away.
    return AnyJson(
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

    plan_id = Id(required=True)
    template_id = Id(required=True)
    quantity = fields.Integer(
        strict=True, load_default=1, validate=validate.Range(min=1, max=MAX_QUANTITY)
    )
    # An existing draft of the buyer that this line pays for.
    invitation_id = Id(allow_none=True)
    unit_price = _ignored_amount()
    line_total = _ignored_amount()


class CartSchema(_DropsClientAmounts, Schema):
    CLIENT_AMOUNTS = ("subtotal", "discount", "total", "currency")

    items = fields.List(
        fields.Nested(CartItemSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_CART_ITEMS),
    )
    coupon_code = Text(allow_none=True, validate=validate.Length(max=50))
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


class OrderItemSchema(SQLAlchemySchema):
    class Meta:
        model = OrderItem

    plan_id = auto_field()
    plan_name = auto_field()
    template_id = auto_field()
    template_name = auto_field()
    invitation_id = auto_field()
    quantity = auto_field()
    unit_price = Money()
    line_total = Money()


def _live_invitation_ids(order: Order) -> list[int]:
    return [invitation.id for invitation in order.invitations if invitation.deleted_at is None]


class OrderSchema(SQLAlchemySchema):
    class Meta:
        model = Order

    order_number = auto_field()
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    payment_status = fields.String(validate=validate.OneOf(PAYMENT_STATUSES))
    subtotal = Money()
    discount = Money(attribute="discount_total")
    total = Money()
    currency = auto_field()
    coupon_code = auto_field()
    items = fields.List(fields.Nested(OrderItemSchema))
    invitation_ids = fields.Function(
        _live_invitation_ids, metadata={"type": "array", "items": {"type": "integer"}}
    )
    created_at = auto_field()
    paid_at = auto_field()
    expires_at = auto_field()
    cancelled_at = auto_field()
    refunded_at = auto_field()


class OrderQueryArgs(PaginationArgs):
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))


# --- Admin ---------------------------------------------------------------------------------


class AdminOrderQueryArgs(PaginationArgs):
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    q = Text(validate=validate.Length(max=100))
    date_from = fields.Date()
    date_to = fields.Date()

    @validates_schema
    def _ordered_dates(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError("Must not be before date_from.", "date_to")


class PaymentTransactionSchema(SQLAlchemySchema):
    class Meta:
        model = PaymentTransaction

    id = auto_field()
    kind = auto_field()
    source = auto_field()
    transaction_uuid = auto_field()
    order_status = auto_field()
    status = auto_field()
    detailed_status = auto_field()
    amount = auto_field(metadata={"description": "céntimos"})
    currency = auto_field()
    mode = auto_field()
    flagged = auto_field()
    flag_reason = auto_field()
    processed = auto_field()
    times_received = auto_field()
    received_at = auto_field()
    last_received_at = auto_field()


class OrderEventSchema(SQLAlchemySchema):
    class Meta:
        model = OrderEvent

    from_status = auto_field()
    to_status = auto_field()
    reason = auto_field()
    actor_user_id = auto_field()
    created_at = auto_field()


class AdminOrderSchema(OrderSchema):
    user_id = auto_field()
    user_email = fields.Function(
        lambda order: order.user.email if order.user else None,
        allow_none=True,
        metadata={"type": "string"},
    )


class AdminOrderDetailSchema(AdminOrderSchema):
    events = fields.List(fields.Nested(OrderEventSchema))
    payment_transactions = fields.List(fields.Nested(PaymentTransactionSchema))
