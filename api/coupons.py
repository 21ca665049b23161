"""Coupon check for the SPA's cart."""

from flask_jwt_extended import get_current_user

from api.blueprint import Blueprint
from api.schemas.coupons import CouponCheckSchema, CouponValiditySchema
from services import coupons

blp = Blueprint("coupons", __name__, url_prefix="/api/coupons", description="Coupons")


@blp.post("/validate")
@blp.login_optional
@blp.arguments(CouponCheckSchema)
@blp.response(200, CouponValiditySchema)
@blp.alt_response(422, schema="Error")
def validate_coupon(data):
    """Say whether a code applies; with `subtotal`, also the discount it gives."""
    return coupons.describe_validity(data.pop("code"), user=get_current_user(), **data)
