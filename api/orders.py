"""The signed-in customer's orders."""

from flask_jwt_extended import current_user

from api.blueprint import Blueprint
from api.schemas.commerce import OrderQueryArgs, OrderSchema
from api.schemas.common import page_of
from services import orders

blp = Blueprint("orders", __name__, url_prefix="/api/orders", description="Orders")


@blp.get("")
@blp.login_required
@blp.arguments(OrderQueryArgs, location="query")
@blp.response(200, page_of(OrderSchema))
def list_orders(args):
    """Own orders, newest first."""
    return orders.list_orders(current_user, **args)


@blp.get("/<order_number>")
@blp.login_required
@blp.response(200, OrderSchema)
@blp.alt_response(404, schema="Error")
def get_order(order_number: str):
    """One own order (another user's is 404)."""
    return orders.get_order(current_user, order_number)


@blp.post("/<order_number>/cancel")
@blp.login_required
@blp.response(200, OrderSchema)
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error")
def cancel_order(order_number: str):
    """Cancel a pending order; its coupon use is given back."""
    return orders.cancel_order(current_user, order_number)
