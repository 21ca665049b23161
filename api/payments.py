"""Izipay: form tokens, the signed notification (IPN), the browser return, health."""

from flask_jwt_extended import current_user

from api.blueprint import Blueprint
from api.schemas.commerce import OrderSchema
from api.schemas.payments import (
    AcknowledgementSchema,
    BrowserReturnSchema,
    FormTokenRequestSchema,
    FormTokenSchema,
    IpnFormSchema,
    PaymentsHealthArgs,
    PaymentsHealthSchema,
)
from services import payments
from utils.rate_limits import exempt_from_rate_limits

blp = Blueprint("payments", __name__, url_prefix="/api/payments", description="Payments")


@blp.post("/izipay/form-token")
@blp.login_required
@blp.arguments(FormTokenRequestSchema)
@blp.response(200, FormTokenSchema)
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error")
@blp.alt_response(502, schema="Error")
@blp.alt_response(503, schema="Error")
def form_token(data):
    """A formToken for the embedded payment form of one pending order."""
    return payments.create_form_token(current_user, data["order_number"])


@blp.post("/izipay/ipn")
@exempt_from_rate_limits
@blp.arguments(IpnFormSchema, location="form")
@blp.response(200, AcknowledgementSchema)
@blp.alt_response(400, schema="Error")
@blp.alt_response(401, schema="Error")
@blp.alt_response(503, schema="Error")
def ipn(fields):
    """Izipay's signed notification; 200 once stored (repeats too), so retries stop."""
    result = payments.handle_ipn(fields)
    return {"status": "OK", "outcome": result.outcome}


@blp.post("/izipay/verify")
@blp.login_required
@blp.arguments(BrowserReturnSchema)
@blp.response(200, OrderSchema)
@blp.alt_response(400, schema="Error")
@blp.alt_response(401, schema="Error")
@blp.alt_response(404, schema="Error")
@blp.alt_response(503, schema="Error")
def verify(fields):
    """The signed answer the payment form hands the browser; returns the updated order."""
    return payments.handle_browser_return(current_user, fields)


@blp.get("/health")
@blp.arguments(PaymentsHealthArgs, location="query")
@blp.response(200, PaymentsHealthSchema)
@blp.alt_response(503, schema=PaymentsHealthSchema)
def health(args):
    """Whether Izipay is configured, its mode, and with `deep=1` a live call to the gateway."""
    report = payments.payments_health(deep=args["deep"])
    return report, (200 if report["status"] == "ok" else 503)
