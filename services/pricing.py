"""The server's price of a cart: lines, subtotal, coupon discount and total, in Decimal soles."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from extensions import db
from models.coupon import Coupon
from models.invitation import Invitation
from models.order import HELD_PAYMENT_STATUSES
from models.plan import Plan
from models.template import Template
from models.user import User
from services import coupons
from services.exceptions import ValidationError
from utils.money import CURRENCY, MAX_AMOUNT, ZERO, round_money


@dataclass
class PricedLine:
    plan: Plan
    template: Template
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    invitation: Invitation | None = None

    @property
    def plan_id(self) -> int:
        return self.plan.id

    @property
    def template_id(self) -> int:
        return self.template.id

    @property
    def plan_name(self) -> str:
        return self.plan.name

    @property
    def template_name(self) -> str:
        return self.template.name

    @property
    def invitation_id(self) -> int | None:
        return self.invitation.id if self.invitation is not None else None


@dataclass
class PricedCart:
    items: list[PricedLine]
    subtotal: Decimal
    discount: Decimal = ZERO
    coupon: Coupon | None = None
    currency: str = CURRENCY

    @property
    def total(self) -> Decimal:
        return max(self.subtotal - self.discount, ZERO)


def price_cart(items: list[dict], coupon_code: str | None, user: User | None) -> PricedCart:
    """Price `items` from the catalogue (client prices are never read) and apply the coupon.

    Every bad item is reported at once, keyed like `items.0.plan_id`; a coupon refusal
    is a `coupon_invalid` error with its reason.
    """
    lines = _priced_lines(items, user)
    subtotal = round_money(sum((line.line_total for line in lines), ZERO))
    if subtotal > MAX_AMOUNT:
        raise ValidationError(details={"items": ["The cart total is too large."]})
    cart = PricedCart(items=lines, subtotal=subtotal)
    if coupon_code is not None and coupon_code.strip():
        coupon = coupons.find_coupon(coupon_code)
        coupons.check_coupon(
            coupon, user=user, subtotal=subtotal, plan_ids=[line.plan_id for line in lines]
        )
        eligible = sum(
            (line.line_total for line in lines if coupons.applies_to_plan(coupon, line.plan_id)),
            ZERO,
        )
        cart.coupon = coupon
        cart.discount = coupons.discount_for(coupon, eligible)
    return cart


def _priced_lines(items: list[dict], user: User | None) -> list[PricedLine]:
    plans = _by_id(Plan, {item["plan_id"] for item in items})
    templates = _by_id(Template, {item["template_id"] for item in items})
    drafts = _drafts(user, {item["invitation_id"] for item in items if item.get("invitation_id")})
    problems: dict[str, list[str]] = {}
    lines: list[PricedLine] = []
    seen_drafts: set[int] = set()
    for index, item in enumerate(items):
        plan = plans.get(item["plan_id"])
        template = templates.get(item["template_id"])
        if plan is None or not plan.is_active:
            problems[f"items.{index}.plan_id"] = ["This plan does not exist or is not available."]
        if template is None or not template.is_active:
            problems[f"items.{index}.template_id"] = [
                "This template does not exist or is not available."
            ]
        draft = None
        invitation_id = item.get("invitation_id")
        if invitation_id:
            draft = drafts.get(invitation_id)
            problem = _draft_problem(draft, item, template, invitation_id in seen_drafts)
            if problem:
                problems[f"items.{index}.invitation_id"] = [problem]
            seen_drafts.add(invitation_id)
        if plan is None or template is None:
            continue
        unit_price = round_money(plan.price + template.price)
        lines.append(
            PricedLine(
                plan=plan,
                template=template,
                quantity=item["quantity"],
                unit_price=unit_price,
                line_total=round_money(unit_price * item["quantity"]),
                invitation=draft,
            )
        )
    if problems:
        raise ValidationError(details=problems)
    return lines


def _draft_problem(
    draft: Invitation | None, item: dict, template: Template | None, repeated: bool
) -> str | None:
    if draft is None:
        return "This invitation does not exist or is not yours."
    if draft.order is not None and draft.order.status in HELD_PAYMENT_STATUSES:
        return "This invitation is already paid for."
    if repeated:
        return "This invitation is already in the cart."
    if item["quantity"] != 1:
        return "An existing invitation is paid for with quantity 1."
    if template is not None and draft.template_id != template.id:
        return "Must name the invitation's own template."
    return None


def _by_id(model, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def _drafts(user: User | None, ids: set[int]) -> dict[int, Invitation]:
    if user is None or not ids:
        return {}
    query = select(Invitation).where(
        Invitation.id.in_(ids), Invitation.user_id == user.id, Invitation.deleted_at.is_(None)
    )
    return {invitation.id: invitation for invitation in db.session.scalars(query)}
