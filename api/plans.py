"""Public plans."""

from api.blueprint import Blueprint
from api.schemas.catalog import PlanSchema
from api.schemas.common import list_of
from services import catalog

blp = Blueprint("plans", __name__, url_prefix="/api/plans", description="Service plans")


@blp.get("")
@blp.response(200, list_of(PlanSchema))
def list_plans():
    """Active plans by display order."""
    return {"items": catalog.list_active_plans()}


@blp.get("/<int:plan_id>")
@blp.response(200, PlanSchema)
@blp.alt_response(404, schema="Error")
def get_plan(plan_id: int):
    """One active plan."""
    return catalog.get_active_plan(plan_id)
