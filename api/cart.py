"""The cart: priced by the server on demand, turned into an order at checkout."""

from flask_jwt_extended import current_user, get_current_user

from api.blueprint import Blueprint
from api.idempotency import idempotent
from api.schemas.commerce import CartSchema, CartSummarySchema, OrderSchema
from api.schemas.common import IdempotencyKeyHeader
from services import orders, pricing

blp = Blueprint("cart", __name__, url_prefix="/api/cart", description="Cart and checkout")


@blp.post("/summary")
@blp.login_optional
@blp.arguments(CartSchema)
@blp.response(200, CartSummarySchema)
@blp.alt_response(422, schema="Error")
def summary(cart):
    """Price a cart: lines, subtotal, coupon discount and total (client prices are ignored)."""
    return pricing.price_cart(cart["items"], cart.get("coupon_code"), get_current_user())


@blp.post("/checkout")
@blp.login_required
@idempotent(lambda: f"user:{current_user.id}")
@blp.arguments(IdempotencyKeyHeader, location="headers")
@blp.arguments(CartSchema)
@blp.response(201, OrderSchema)
@blp.alt_response(409, schema="Error", description="The same Idempotency-Key still running")
@blp.alt_response(422, schema="Error", description="Also `idempotency_key_reused`")
def checkout(_headers, cart):
    """Turn the cart into a pending order (paid at once when its total is 0.00). With an
    Idempotency-Key, a repeat (a double tap, a retry on a flaky network) answers the first
    order again and creates nothing."""
    return orders.checkout(current_user, cart["items"], cart.get("coupon_code"))
