"""Admin: coupons and the orders holding their uses."""

from flask_jwt_extended import current_user

from api.admin import blp
from api.schemas.common import PaginationArgs, page_of
from api.schemas.coupons import (
    AdminCouponSchema,
    CouponCreateSchema,
    CouponQueryArgs,
    CouponUpdateSchema,
    CouponUsageSchema,
)
from services import coupons


@blp.get("/coupons")
@blp.admin_required
@blp.arguments(CouponQueryArgs, location="query")
@blp.response(200, page_of(AdminCouponSchema))
def list_coupons(args):
    """Coupons, newest first; `q` matches the code."""
    return coupons.admin_list_coupons(**args)


@blp.post("/coupons")
@blp.admin_required
@blp.arguments(CouponCreateSchema)
@blp.response(201, AdminCouponSchema)
@blp.alt_response(409, schema="Error")
def create_coupon(data):
    """Add a coupon (its code is stored upper-case)."""
    return coupons.admin_create_coupon(current_user, data)


@blp.get("/coupons/<int:coupon_id>")
@blp.admin_required
@blp.response(200, AdminCouponSchema)
@blp.alt_response(404, schema="Error")
def get_coupon(coupon_id: int):
    """One coupon with its use count."""
    return coupons.admin_get_coupon(coupon_id)


@blp.patch("/coupons/<int:coupon_id>")
@blp.admin_required
@blp.arguments(CouponUpdateSchema)
@blp.response(200, AdminCouponSchema)
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error")
def update_coupon(changes, coupon_id: int):
    """Change some of a coupon's fields."""
    return coupons.admin_update_coupon(current_user, coupon_id, changes)


@blp.delete("/coupons/<int:coupon_id>")
@blp.admin_required
@blp.response(204)
@blp.alt_response(404, schema="Error")
def delete_coupon(coupon_id: int):
    """Delete an unused coupon, or deactivate one that orders carried."""
    coupons.admin_delete_coupon(current_user, coupon_id)


@blp.get("/coupons/<int:coupon_id>/usages")
@blp.admin_required
@blp.arguments(PaginationArgs, location="query")
@blp.response(200, page_of(CouponUsageSchema))
@blp.alt_response(404, schema="Error")
def list_coupon_usages(args, coupon_id: int):
    """Orders holding a use of the coupon, newest first."""
    return coupons.admin_list_coupon_usages(coupon_id, **args)
