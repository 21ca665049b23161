"""What an invitation's plan allows: features (music, video, custom slug) and limits.

A draft has no plan until it is paid for; while it is edited it is held to the cheapest
active plan, so nothing built in a draft is lost when the customer buys that plan.
"""

from sqlalchemy import select

from extensions import db
from models.invitation import Invitation
from models.plan import Plan
from services.exceptions import ForbiddenError


class FeatureNotInPlanError(ForbiddenError):
    code = "feature_not_in_plan"
    message = "Your plan does not include this feature."


class PlanLimitReachedError(ForbiddenError):
    code = "plan_limit_reached"
    message = "Your plan's limit for this has been reached."


def plan_features(invitation: Invitation) -> dict:
    if invitation.plan is not None:
        return invitation.plan.features or {}
    cheapest = db.session.scalar(
        select(Plan.features)
        .where(Plan.is_active.is_(True))
        .order_by(Plan.price, Plan.display_order, Plan.id)
        .limit(1)
    )
    return cheapest or {}


def require_feature(invitation: Invitation, feature: str) -> None:
    if not plan_features(invitation).get(feature):
        raise FeatureNotInPlanError(f"Your plan does not include {feature}.")


def check_limit(invitation: Invitation, limit: str, current_count: int) -> None:
    """Refuse one more item when `current_count` already reaches the plan's `limit`."""
    allowed = int(plan_features(invitation).get(limit) or 0)
    if current_count >= allowed:
        raise PlanLimitReachedError(f"Your plan allows {allowed} ({limit}).")
