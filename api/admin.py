"""The admin panel's API (role admin; everyone else gets 403 `forbidden`)."""

from flask_jwt_extended import current_user

from api.blueprint import Blueprint
from api.schemas.admin import (
    AdminCouponSchema,
    AdminOrderDetailSchema,
    AdminOrderQueryArgs,
    AdminOrderSchema,
    AdminPlanSchema,
    AdminTemplateQueryArgs,
    AdminTemplateSchema,
    AdminUserSchema,
    AdminUserUpdateSchema,
    CatalogQueryArgs,
    CouponCreateSchema,
    CouponQueryArgs,
    CouponUpdateSchema,
    CouponUsageSchema,
    PlanCreateSchema,
    PlanUpdateSchema,
    TemplateCreateSchema,
    TemplateUpdateSchema,
    UserQueryArgs,
)
from api.schemas.common import PaginationArgs, page_of
from api.schemas.payments import RefundRequestSchema
from services import catalog_admin, coupons, orders, payments, users

blp = Blueprint("admin", __name__, url_prefix="/api/admin", description="Administration")


@blp.get("/users")
@blp.admin_required
@blp.arguments(UserQueryArgs, location="query")
@blp.response(200, page_of(AdminUserSchema))
def list_users(args):
    """Users, newest first; `q` matches e-mail and names."""
    return users.list_users(**args)


@blp.get("/users/<int:user_id>")
@blp.admin_required
@blp.response(200, AdminUserSchema)
def get_user(user_id: int):
    """One user."""
    return users.get_user(user_id)


@blp.patch("/users/<int:user_id>")
@blp.admin_required
@blp.arguments(AdminUserUpdateSchema)
@blp.response(200, AdminUserSchema)
def update_user(changes, user_id: int):
    """Change a user's role or disable the account (its tokens stop working at once)."""
    return users.admin_update_user(current_user, user_id, changes)


@blp.get("/templates")
@blp.admin_required
@blp.arguments(AdminTemplateQueryArgs, location="query")
@blp.response(200, page_of(AdminTemplateSchema))
def list_templates(args):
    """All templates, inactive too, by display order."""
    return catalog_admin.list_templates(**args)


@blp.post("/templates")
@blp.admin_required
@blp.arguments(TemplateCreateSchema)
@blp.response(201, AdminTemplateSchema)
@blp.alt_response(409, schema="Error")
def create_template(data):
    """Add a template."""
    return catalog_admin.create_template(data)


@blp.get("/templates/<int:template_id>")
@blp.admin_required
@blp.response(200, AdminTemplateSchema)
@blp.alt_response(404, schema="Error")
def get_template(template_id: int):
    """One template, active or not."""
    return catalog_admin.get_template(template_id)


@blp.patch("/templates/<int:template_id>")
@blp.admin_required
@blp.arguments(TemplateUpdateSchema)
@blp.response(200, AdminTemplateSchema)
@blp.alt_response(409, schema="Error")
def update_template(changes, template_id: int):
    """Change some of a template's fields."""
    return catalog_admin.update_template(template_id, changes)


@blp.delete("/templates/<int:template_id>")
@blp.admin_required
@blp.response(204)
@blp.alt_response(404, schema="Error")
def delete_template(template_id: int):
    """Delete a template, or deactivate it when orders or invitations use it."""
    catalog_admin.delete_template(template_id)


@blp.get("/plans")
@blp.admin_required
@blp.arguments(CatalogQueryArgs, location="query")
@blp.response(200, page_of(AdminPlanSchema))
def list_plans(args):
    """All plans, inactive too, by display order."""
    return catalog_admin.list_plans(**args)


@blp.post("/plans")
@blp.admin_required
@blp.arguments(PlanCreateSchema)
@blp.response(201, AdminPlanSchema)
@blp.alt_response(409, schema="Error")
def create_plan(data):
    """Add a plan."""
    return catalog_admin.create_plan(data)


@blp.get("/plans/<int:plan_id>")
@blp.admin_required
@blp.response(200, AdminPlanSchema)
@blp.alt_response(404, schema="Error")
def get_plan(plan_id: int):
    """One plan, active or not."""
    return catalog_admin.get_plan(plan_id)


@blp.patch("/plans/<int:plan_id>")
@blp.admin_required
@blp.arguments(PlanUpdateSchema)
@blp.response(200, AdminPlanSchema)
@blp.alt_response(409, schema="Error")
def update_plan(changes, plan_id: int):
    """Change some of a plan's fields."""
    return catalog_admin.update_plan(plan_id, changes)


@blp.delete("/plans/<int:plan_id>")
@blp.admin_required
@blp.response(204)
@blp.alt_response(404, schema="Error")
def delete_plan(plan_id: int):
    """Delete a plan, or deactivate it when orders, invitations or coupons name it."""
    catalog_admin.delete_plan(plan_id)


@blp.get("/coupons")
@blp.admin_required
@blp.arguments(CouponQueryArgs, location="query")
@blp.response(200, page_of(AdminCouponSchema))
def list_coupons(args):
    """Coupons, newest first; `q` matches the code."""
    return coupons.list_coupons(**args)


@blp.post("/coupons")
@blp.admin_required
@blp.arguments(CouponCreateSchema)
@blp.response(201, AdminCouponSchema)
@blp.alt_response(409, schema="Error")
def create_coupon(data):
    """Add a coupon (its code is stored upper-case)."""
    return coupons.create_coupon(data)


@blp.get("/coupons/<int:coupon_id>")
@blp.admin_required
@blp.response(200, AdminCouponSchema)
@blp.alt_response(404, schema="Error")
def get_coupon(coupon_id: int):
    """One coupon with its use count."""
    return coupons.get_coupon(coupon_id)


@blp.patch("/coupons/<int:coupon_id>")
@blp.admin_required
@blp.arguments(CouponUpdateSchema)
@blp.response(200, AdminCouponSchema)
@blp.alt_response(409, schema="Error")
def update_coupon(changes, coupon_id: int):
    """Change some of a coupon's fields."""
    return coupons.update_coupon(coupon_id, changes)


@blp.delete("/coupons/<int:coupon_id>")
@blp.admin_required
@blp.response(204)
@blp.alt_response(404, schema="Error")
def delete_coupon(coupon_id: int):
    """Delete an unused coupon, or deactivate one that orders carried."""
    coupons.delete_coupon(coupon_id)


@blp.get("/coupons/<int:coupon_id>/usages")
@blp.admin_required
@blp.arguments(PaginationArgs, location="query")
@blp.response(200, page_of(CouponUsageSchema))
@blp.alt_response(404, schema="Error")
def list_coupon_usages(args, coupon_id: int):
    """Orders holding a use of the coupon, newest first."""
    return coupons.list_coupon_usages(coupon_id, **args)


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
def get_order(order_number: str):
    """One order with its status history and every payment notification received."""
    return orders.admin_get_order(order_number)


@blp.post("/orders/<order_number>/refund")
@blp.admin_required
@blp.arguments(RefundRequestSchema)
@blp.response(200, AdminOrderSchema)
@blp.alt_response(409, schema="Error")
@blp.alt_response(502, schema="Error")
def refund_order(data, order_number: str):
    """Refund a paid order through Izipay and take its invitations down."""
    return payments.refund_order(current_user, order_number, comment=data.get("comment"))
