"""Admin: the business in figures."""

from api.admin import blp
from api.schemas.stats import StatsQueryArgs, StatsSchema
from services import stats


@blp.get("/stats")
@blp.admin_required
@blp.arguments(StatsQueryArgs, location="query")
@blp.response(200, StatsSchema)
def get_stats(args):
    """Users, orders by status, revenue (total and by Lima month), payment success, published
    invitations, answers and claims; optionally within Lima days."""
    return stats.admin_stats(**args)
