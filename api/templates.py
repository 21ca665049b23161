"""Public design templates."""

from api.blueprint import Blueprint
from api.schemas.catalog import CategoryCountSchema, TemplateQueryArgs, TemplateSchema
from api.schemas.common import list_of, page_of
from services import catalog

blp = Blueprint("templates", __name__, url_prefix="/api/templates", description="Templates")


@blp.get("")
@blp.arguments(TemplateQueryArgs, location="query")
@blp.response(200, page_of(TemplateSchema))
def list_templates(args):
    """Active templates, filtered by category or text, paginated."""
    return catalog.list_active_templates(**args)


@blp.get("/categories")
@blp.response(200, list_of(CategoryCountSchema))
def list_categories():
    """How many active templates each category has."""
    return {"items": catalog.count_templates_by_category()}


@blp.get("/<int:template_id>")
@blp.response(200, TemplateSchema)
@blp.alt_response(404, schema="Error")
def get_template(template_id: int):
    """One active template."""
    return catalog.get_active_template(template_id)
