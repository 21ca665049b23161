"""The public catalog: active plans and templates."""

from sqlalchemy import func, or_, select

from extensions import db
from models.plan import Plan
from models.template import Template
from services.exceptions import NotFoundError
from utils.db import escape_like
from utils.pagination import Page, paginate


class PlanNotFoundError(NotFoundError):
    message = "Plan not found."


class TemplateNotFoundError(NotFoundError):
    message = "Template not found."


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
    if q and q.strip():
        pattern = f"%{escape_like(q.strip().lower())}%"
        query = query.where(
            or_(
                func.lower(Template.name).like(pattern, escape="\\"),
                func.lower(Template.description).like(pattern, escape="\\"),
            )
        )
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
