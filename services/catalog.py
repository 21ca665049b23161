"""The catalogue: active plans and templates for everyone; all of them for the admin."""

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.coupon import coupon_plans
from models.invitation import Invitation
from models.order import OrderItem
from models.plan import Plan
from models.template import Template
from models.user import User
from services import audit
from services.exceptions import ConflictError, NotFoundError
from utils.db import text_search, transactional
from utils.media import asset_reference
from utils.pagination import Page, paginate

TEMPLATE_IMAGE_FIELDS = ("preview_url", "thumbnail_url")


class PlanNotFoundError(NotFoundError):
    message = "Plan not found."


class TemplateNotFoundError(NotFoundError):
    message = "Template not found."


class SlugTakenError(ConflictError):
    code = "slug_taken"
    message = "Another row already uses this slug."


def list_active_plans() -> list[Plan]:
    query = select(Plan).where(Plan.is_active).order_by(Plan.display_order, Plan.id)
    return list(db.session.scalars(query))


def get_active_plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None or not plan.is_active:
        raise PlanNotFoundError()
    return plan


def list_active_templates(
    *, page: int, per_page: int, category: str | None = None, q: str | None = None
) -> Page:
    query = select(Template).where(Template.is_active)
    if category:
        query = query.where(Template.category == category)
    if (contains := text_search(q)) is not None:
        query = query.where(or_(contains(Template.name), contains(Template.description)))
    query = query.order_by(Template.display_order, Template.id)
    return paginate(query, page, per_page)


def count_templates_by_category() -> list[dict]:
    query = (
        select(Template.category, func.count(Template.id))
        .where(Template.is_active)
        .group_by(Template.category)
        .order_by(Template.category)
    )
    return [{"category": category, "count": count} for category, count in db.session.execute(query)]


def get_active_template(template_id: int) -> Template:
    template = db.session.get(Template, template_id)
    if template is None or not template.is_active:
        raise TemplateNotFoundError()
    return template


# --- Admin: every plan and template, inactive ones included ------------------------------


def admin_list_plans(*, page: int, per_page: int, q: str | None = None, is_active=None) -> Page:
    query = _filtered(select(Plan), Plan, q, is_active)
    return paginate(query.order_by(Plan.display_order, Plan.id), page, per_page)


def admin_get_plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise PlanNotFoundError()
    return plan


@transactional
def admin_create_plan(admin: User | None, data: dict) -> Plan:
    plan = Plan(**{"features": {}, **data})
    db.session.add(plan)
    _flush_unique_slug()
    audit.record(admin, "create", plan)
    return plan


@transactional
def admin_update_plan(admin: User | None, plan_id: int, changes: dict) -> Plan:
    plan = admin_get_plan(plan_id)
    before = audit.snapshot(plan)
    for field, value in changes.items():
        setattr(plan, field, value)
    _flush_unique_slug()
    audit.record(admin, "update", plan, before=before)
    return plan


@transactional
def admin_delete_plan(admin: User | None, plan_id: int) -> None:
    """Delete a plan nothing refers to; one that orders, invitations or coupons name is
    deactivated instead (deleting it would also widen a coupon limited to it)."""
    plan = admin_get_plan(plan_id)
    before = audit.snapshot(plan)
    in_use = (
        _referenced(OrderItem.plan_id == plan.id)
        or _referenced(Invitation.plan_id == plan.id)
        or _referenced(coupon_plans.c.plan_id == plan.id)
    )
    if in_use:
        plan.is_active = False
        audit.record(admin, "deactivate", plan, before=before)
    else:
        audit.record(admin, "delete", plan, before=before, after={})
        db.session.delete(plan)


def admin_list_templates(
    *,
    page: int,
    per_page: int,
    q: str | None = None,
    is_active=None,
    category: str | None = None,
) -> Page:
    query = _filtered(select(Template), Template, q, is_active)
    if category:
        query = query.where(Template.category == category)
    return paginate(query.order_by(Template.display_order, Template.id), page, per_page)


def admin_get_template(template_id: int) -> Template:
    template = db.session.get(Template, template_id)
    if template is None:
        raise TemplateNotFoundError()
    return template


@transactional
def admin_create_template(admin: User | None, data: dict) -> Template:
    template = Template(**{"config": {}, **_image_references(data)})
    db.session.add(template)
    _flush_unique_slug()
    audit.record(admin, "create", template)
    return template


@transactional
def admin_update_template(admin: User | None, template_id: int, changes: dict) -> Template:
    template = admin_get_template(template_id)
    before = audit.snapshot(template)
    for field, value in _image_references(changes).items():
        setattr(template, field, value)
    _flush_unique_slug()
    audit.record(admin, "update", template, before=before)
    return template


def _image_references(data: dict) -> dict:
    """Template images into our own media are stored as keys (a URL the admin copied from a
    response included), so they follow the base URLs; other URLs are kept as given."""
    return {
        field: asset_reference(value) if field in TEMPLATE_IMAGE_FIELDS else value
        for field, value in data.items()
    }


@transactional
def admin_delete_template(admin: User | None, template_id: int) -> None:
    """Delete a template nothing refers to; one in use by orders or invitations is deactivated."""
    template = admin_get_template(template_id)
    before = audit.snapshot(template)
    in_use = _referenced(OrderItem.template_id == template.id) or _referenced(
        Invitation.template_id == template.id
    )
    if in_use:
        template.is_active = False
        audit.record(admin, "deactivate", template, before=before)
    else:
        audit.record(admin, "delete", template, before=before, after={})
        db.session.delete(template)


def _filtered(query, model, q: str | None, is_active: bool | None):
    if is_active is not None:
        query = query.where(model.is_active.is_(is_active))
    if (contains := text_search(q)) is not None:
        query = query.where(or_(contains(model.name), contains(model.slug)))
    return query


def _referenced(condition) -> bool:
    return bool(db.session.scalar(select(exists().where(condition))))


def _flush_unique_slug() -> None:
    # The unique index decides, so two admins saving one slug at once get one 409.
    try:
        db.session.flush()
    except IntegrityError as error:
        raise SlugTakenError() from error
