"""Admin: the catalogue (templates and plans), inactive rows included."""

from flask_jwt_extended import current_user

from api.admin import blp
from api.schemas.catalog import (
    AdminPlanSchema,
    AdminTemplateQueryArgs,
    AdminTemplateSchema,
    CatalogQueryArgs,
    PlanCreateSchema,
    PlanUpdateSchema,
    TemplateCreateSchema,
    TemplateUpdateSchema,
)
from api.schemas.common import page_of
from services import catalog


@blp.get("/templates")
@blp.admin_required
@blp.arguments(AdminTemplateQueryArgs, location="query")
@blp.response(200, page_of(AdminTemplateSchema))
def list_templates(args):
    """All templates, inactive too, by display order."""
    return catalog.admin_list_templates(**args)


@blp.post("/templates")
@blp.admin_required
@blp.arguments(TemplateCreateSchema)
@blp.response(201, AdminTemplateSchema)
@blp.alt_response(409, schema="Error")
def create_template(data):
    """Add a template."""
    return catalog.admin_create_template(current_user, data)


@blp.get("/templates/<int:template_id>")
@blp.admin_required
@blp.response(200, AdminTemplateSchema)
@blp.alt_response(404, schema="Error")
def get_template(template_id: int):
    """One template, active or not."""
    return catalog.admin_get_template(template_id)


@blp.patch("/templates/<int:template_id>")
@blp.admin_required
@blp.arguments(TemplateUpdateSchema)
@blp.response(200, AdminTemplateSchema)
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error")
def update_template(changes, template_id: int):
    """Change some of a template's fields."""
    return catalog.admin_update_template(current_user, template_id, changes)


@blp.delete("/templates/<int:template_id>")
@blp.admin_required
@blp.response(204)
@blp.alt_response(404, schema="Error")
def delete_template(template_id: int):
    """Delete a template, or deactivate it when orders or invitations use it."""
    catalog.admin_delete_template(current_user, template_id)


@blp.get("/plans")
@blp.admin_required
@blp.arguments(CatalogQueryArgs, location="query")
@blp.response(200, page_of(AdminPlanSchema))
def list_plans(args):
    """All plans, inactive too, by display order."""
    return catalog.admin_list_plans(**args)


@blp.post("/plans")
@blp.admin_required
@blp.arguments(PlanCreateSchema)
@blp.response(201, AdminPlanSchema)
@blp.alt_response(409, schema="Error")
def create_plan(data):
    """Add a plan."""
    return catalog.admin_create_plan(current_user, data)


@blp.get("/plans/<int:plan_id>")
@blp.admin_required
@blp.response(200, AdminPlanSchema)
@blp.alt_response(404, schema="Error")
def get_plan(plan_id: int):
    """One plan, active or not."""
    return catalog.admin_get_plan(plan_id)


@blp.patch("/plans/<int:plan_id>")
@blp.admin_required
@blp.arguments(PlanUpdateSchema)
@blp.response(200, AdminPlanSchema)
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error")
def update_plan(changes, plan_id: int):
    """Change some of a plan's fields."""
    return catalog.admin_update_plan(current_user, plan_id, changes)


@blp.delete("/plans/<int:plan_id>")
@blp.admin_required
@blp.response(204)
@blp.alt_response(404, schema="Error")
def delete_plan(plan_id: int):
    """Delete a plan, or deactivate it when orders, invitations or coupons name it."""
    catalog.admin_delete_plan(current_user, plan_id)
