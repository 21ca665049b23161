"""Admin: orders, their history and payment notifications, and refunds."""

from flask_jwt_extended import current_user

from api.admin import blp
from api.schemas.commerce import AdminOrderDetailSchema, AdminOrderQueryArgs, AdminOrderSchema
from api.schemas.common import page_of
from api.schemas.payments import RefundRequestSchema
from services import orders, payments


@blp.get("/orders")
@blp.admin_required
@blp.arguments(AdminOrderQueryArgs, location="query")
@blp.response(200, page_of(AdminOrderSchema))
def list_orders(args):
    """Every order, newest first; `q` matches order number or e-mail; dates are Lima days."""
    return orders.admin_list_orders(**args)


@blp.get("/orders/<order_number>")
@blp.admin_required
@blp.response(200, AdminOrderDetailSchema)
@blp.alt_response(404, schema="Error")
def get_order(order_number: str):
    """One order with its status history and every payment notification received."""
    return orders.admin_get_order(order_number)


@blp.post("/orders/<order_number>/refund")
@blp.admin_required
@blp.arguments(RefundRequestSchema)
@blp.response(200, AdminOrderSchema)
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error")
@blp.alt_response(502, schema="Error")
def refund_order(data, order_number: str):
    """Refund a paid order through Izipay and take its invitations down."""
    return payments.refund_order(current_user, order_number, comment=data.get("comment"))
