"""Query budgets: every GET that reads rows runs a fixed number of SQL statements, whatever
the number of rows behind it (1 or 50), and no more than its budget."""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from extensions import db
from models import testimonial  # not `Testimonial`: pytest would collect a Test* class
from models.audit_log import AuditLog
from models.claim import Claim
from models.coupon import Coupon, CouponUsage
from models.invitation_response import InvitationResponse
from models.invitation_response_change import InvitationResponseChange
from models.invitation_url import KIND_GUEST, InvitationUrl
from models.order import Order, OrderEvent, OrderItem
from models.payment_transaction import PaymentTransaction
from models.user import User
from services.provisioning import build_invitation
from tests import factories
from tests.guest_fixtures import add_events, add_media, guest_link, published_invitation
from tests.invitation_fixtures import paid_invitation, recorded_statements

SIZES = (1, 50)
AT = datetime(2026, 12, 1, 15, tzinfo=UTC)
CRAWLER = {"User-Agent": "WhatsApp/2.23.20.0 A"}
# Codes and numbers stay unique across both sizes built in one test.
_serial = itertools.count(1)


@dataclass
class World:
    """What builders and requests need: the client, the owner, each caller's headers."""

    client: FlaskClient
    owner: User
    callers: dict[str, dict[str, str]]


@pytest.fixture
def world(client, make, owner, headers, auth_headers):
    admin = make.user(role="admin")
    callers = {"anonymous": {}, "owner": headers, "admin": auth_headers(admin)}
    return World(client, owner, callers)


# --- Rows, inserted in bulk; related rows are distinct so a lazy load would show per row ----


def saved(rows: list) -> list:
    db.session.add_all(rows)
    db.session.commit()
    return rows


def customers(w: World, n: int) -> list[User]:
    return saved(factories.UserFactory.build_batch(n, password_hash=w.owner.password_hash))


def orders(users: list[User], *, items: int = 1) -> list[Order]:
    """A paid order per user, each with its own plan and template and `items` invitations."""
    plans = saved(factories.PlanFactory.build_batch(len(users)))
    templates = saved(factories.TemplateFactory.build_batch(len(users)))
    made = []
    for user, plan, template in zip(users, plans, templates, strict=True):
        order = Order(
            order_number=f"ORD-20261201-{next(_serial):06d}",
            user_id=user.id,
            status="paid",
            payment_status="paid",
            subtotal=plan.price * items,
            total=plan.price * items,
            paid_at=AT,
        )
        db.session.add(order)
        for _ in range(items):
            invitation = build_invitation(
                user_id=user.id, template_id=template.id, plan_id=plan.id, title="Nuestra boda"
            )
            invitation.order = order
            order.items.append(
                OrderItem(
                    plan_id=plan.id,
                    template_id=template.id,
                    invitation=invitation,
                    plan_name=plan.name,
                    template_name=template.name,
                    unit_price=plan.price,
                    line_total=plan.price,
                )
            )
        made.append(order)
    db.session.commit()
    return made


def guest_links(invitation_id: int, n: int) -> list[InvitationUrl]:
    """n guest links, every other one answered."""
    links = [
        InvitationUrl(
            invitation_id=invitation_id,
            kind=KIND_GUEST,
            code=f"pase-{next(_serial)}",
            guest_name=f"Familia {i}",
            max_guests=2,
            phone="51987654321",
        )
        for i in range(n)
    ]
    saved(links)
    saved(
        [
            InvitationResponse(
                invitation_id=invitation_id,
                invitation_url_id=link.id,
                guest_name=link.guest_name,
                status="confirmed",
                number_of_guests=2,
            )
            for link in links[::2]
        ]
    )
    return links


def answers(invitation_id: int, n: int, *, changes: int = 1) -> list[InvitationResponse]:
    """n answers, every other one through a guest link, each with `changes` history rows."""
    rows = []
    for i in range(n):
        at = AT + timedelta(minutes=i)
        link = (
            InvitationUrl(
                invitation_id=invitation_id,
                kind=KIND_GUEST,
                code=f"pase-{next(_serial)}",
                guest_name=f"Invitado {i}",
                max_guests=2,
            )
            if i % 2 == 0
            else None
        )
        response = InvitationResponse(
            invitation_id=invitation_id,
            invitation_url=link,
            guest_name=f"Invitado {i}",
            status="confirmed",
            number_of_guests=1,
            dedupe_key=None if link else f"key-{next(_serial)}",
            created_at=at,
            updated_at=at,
        )
        response.changes.extend(
            InvitationResponseChange(
                invitation_id=invitation_id,
                change="changed" if c else "created",
                from_status="declined" if c else None,
                from_number_of_guests=1 if c else None,
                status="confirmed" if c % 2 == 0 else "declined",
                number_of_guests=1,
                guest_name=f"Invitado {i}",
                changed_at=at + timedelta(seconds=c),
            )
            for c in range(changes)
        )
        rows.append(response)
    return saved(rows)


def claims(w: World, n: int) -> list[Claim]:
    return saved(
        [
            Claim(
                code=f"LR-2026-{next(_serial):06d}",
                claim_type="reclamo",
                full_name="Rosa Díaz",
                document_type="DNI",
                document_number="40000001",
                address="Jr. Junín 123, Lima",
                email="rosa@example.com",
                item_type="servicio",
                item_description="Invitación digital",
                amount=Decimal("149.00"),
                detail="No puedo publicar mi invitación.",
                consumer_request="Que me ayuden a publicarla.",
                order_id=order.id,
                user_id=order.user_id,
                response_due_date=date(2027, 1, 4),
            )
            for order in orders(customers(w, n))
        ]
    )


def approved(w: World, n: int) -> list[testimonial.Testimonial]:
    return saved(
        [
            testimonial.Testimonial(
                user_id=user.id,
                author_name="Ana Q.",
                message="Nuestros invitados la amaron.",
                rating=5,
                is_approved=True,
            )
            for user in customers(w, n)
        ]
    )


def coupon_with_usages(w: World, n: int) -> Coupon:
    """A coupon limited to n plans and used by n customers' orders."""
    coupon = Coupon(
        code=f"CUPON{next(_serial)}", discount_type="percentage", discount_value=Decimal("10.00")
    )
    coupon.plans = saved(factories.PlanFactory.build_batch(n))
    coupon.usages = [
        CouponUsage(user_id=order.user_id, order_id=order.id, discount_amount=Decimal("14.90"))
        for order in orders(customers(w, n))
    ]
    return saved([coupon])[0]


def coupons(_w: World, n: int) -> list[Coupon]:
    plans = saved(factories.PlanFactory.build_batch(n))
    return saved([factories.CouponFactory.build(plans=[plan]) for plan in plans])


def order_with_history(w: World, n: int) -> Order:
    """A paid order of n items, with n status events and n payment notifications."""
    order = orders([w.owner], items=n)[0]
    saved(
        [
            OrderEvent(order_id=order.id, to_status="paid", actor_user_id=w.owner.id)
            for _ in range(n)
        ]
        + [
            PaymentTransaction(
                order_id=order.id,
                order_number=order.order_number,
                transaction_uuid=f"uuid-{next(_serial)}",
                source="ipn",
                status="PAID",
                detailed_status="ACCEPTED",
                amount=14900,
                currency="PEN",
            )
            for _ in range(n)
        ]
    )
    return order


def audit_rows(w: World, n: int) -> None:
    saved(
        [
            AuditLog(
                actor_id=user.id,
                actor_email=user.email,
                action="plan.update",
                entity_type="plan",
                entity_id=str(next(_serial)),
                changes={"price": ["149.00", "129.00"]},
            )
            for user in customers(w, n)
        ]
    )


def owned(w: World) -> int:
    """The id of a new paid (unpublished) invitation of the owner."""
    return paid_invitation(w.client, w.callers["owner"])["id"]


def fill(invitation_id: int, n: int) -> None:
    """n events, n photos and n answers."""
    add_events(invitation_id, n)
    add_media(invitation_id, n)
    answers(invitation_id, n)


def answers_and_links(invitation_id: int, n: int) -> None:
    answers(invitation_id, n)
    guest_links(invitation_id, n)


def plans(_w: World, n: int) -> list:
    return saved(factories.PlanFactory.build_batch(n))


def templates(_w: World, n: int) -> list:
    return saved(factories.TemplateFactory.build_batch(n))


def own_orders(w: World, n: int) -> list[Order]:
    return orders([w.owner] * n)


def stats_rows(w: World, n: int) -> None:
    """n claims, each with a paid order of its own, and n answers."""
    claims(w, n)
    answers(owned(w), n)


# --- Builders: (world, n) -> the path to GET --------------------------------------------


def on_invitation(path: str, rows: Callable[[int, int], list | None]) -> Callable:
    """A builder: a new paid invitation of the owner given `rows(invitation_id, n)`; `path`
    names it `{id}`, and `{last}` is the id of the last row `rows` returned."""

    def build(w: World, n: int) -> str:
        invitation_id = owned(w)
        made = rows(invitation_id, n)
        return path.format(id=invitation_id, last=made[-1].id if made else None)

    return build


def on_published(path: str) -> Callable:
    """A builder: a published invitation of the owner filled with n rows; `path` names its
    `{main_code}`, and `{guest_code}` is a guest link of it made last."""

    def build(w: World, n: int) -> str:
        invitation = published_invitation(w.client, w.callers["owner"])
        fill(invitation["id"], n)
        return path.format(
            main_code=invitation["main_code"], guest_code=guest_link(invitation["id"]).code
        )

    return build


def listing(path: str, rows: Callable[[World, int], object]) -> Callable:
    """A builder: n rows made by `rows`, then `path` (a list of them)."""

    def build(w: World, n: int) -> str:
        rows(w, n)
        return path

    return build


def detail(path: str, rows: Callable[[World, int], object]) -> Callable:
    """A builder: n rows made by `rows`; `path` names the last one `{0}` (or the one row)."""

    def build(w: World, n: int) -> str:
        made = rows(w, n)
        return path.format(made[-1] if isinstance(made, list) else made)

    return build


# --- The table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    route: str  # the rule as app.url_map spells it
    caller: str  # "anonymous", "owner" or "admin"
    # Builds `rows` rows of what the route reads and returns the path to GET.
    build: Callable[[World, int], str]
    budget: int  # statements per request, as measured: a regression shows at once
    # The body's "items" holds at least `rows` entries (the rows are really read).
    listed: bool = False
    status: int = 200
    headers: dict | None = None
    variant: str = ""

    @property
    def name(self) -> str:
        return f"{self.route} {self.variant}".strip()


PAGE = "?per_page=100"  # every row on one page (and no COUNT): 50 rows read, not 20
INVITATION = "/api/invitations/{id}"
ROUTE = "/api/invitations/<int:invitation_id>"
EDITOR = "/api/editor/<int:invitation_id>"
PUBLIC = "/api/public/invitations/<code>"

# Each authenticated request starts with one statement: the token's user and revocation.
# fmt: off
ENDPOINTS = [
    # --- Customers ---
    Endpoint("/api/auth/me", "owner", listing("/api/auth/me", own_orders), 1),
    Endpoint("/api/users/me", "owner", listing("/api/users/me", own_orders), 1),
    Endpoint("/api/plans", "anonymous", listing("/api/plans", plans), 1, listed=True),
    Endpoint("/api/plans/<int:plan_id>", "anonymous", detail("/api/plans/{0.id}", plans), 1),
    Endpoint("/api/templates", "anonymous", listing(f"/api/templates{PAGE}", templates), 1,
             listed=True),
    Endpoint("/api/templates/categories", "anonymous",
             listing("/api/templates/categories", templates), 1),
    Endpoint("/api/templates/<int:template_id>", "anonymous",
             detail("/api/templates/{0.id}", templates), 1),
    # The user; due pending orders (expired first, and that commit makes the user reload);
    # the orders; their items; their invitations.
    Endpoint("/api/orders", "owner", listing(f"/api/orders{PAGE}", own_orders), 6, listed=True),
    Endpoint("/api/orders/<order_number>", "owner",
             detail("/api/orders/{0.order_number}", lambda w, n: orders([w.owner], items=n)), 6),
    Endpoint("/api/invitations", "owner", listing(f"/api/invitations{PAGE}", own_orders), 3,
             listed=True),
    # The user; the invitation with its template, plan, order and data; events; media;
    # links; the main link; the links' answers.
    Endpoint(ROUTE, "owner", on_invitation(INVITATION, fill), 7),
    # The user; the owner check; the invitation with its data; the links; their invitation
    # (for the WhatsApp text); their answers.
    Endpoint(ROUTE + "/urls", "owner", on_invitation(INVITATION + "/urls", guest_links), 6,
             listed=True),
    Endpoint(ROUTE + "/urls/<int:url_id>/qr.svg", "owner",
             on_invitation(INVITATION + "/urls/{last}/qr.svg", guest_links), 3),
    Endpoint(ROUTE + "/urls/<int:url_id>/qr.png", "owner",
             on_invitation(INVITATION + "/urls/{last}/qr.png", guest_links), 3),
    Endpoint(ROUTE + "/responses", "owner",
             on_invitation(INVITATION + f"/responses{PAGE}", answers), 3, listed=True),
    Endpoint(ROUTE + "/responses/summary", "owner",
             on_invitation(INVITATION + "/responses/summary", answers_and_links), 4),
    Endpoint(ROUTE + "/responses/activity", "owner",
             on_invitation(INVITATION + f"/responses/activity{PAGE}", answers), 3, listed=True),
    Endpoint(ROUTE + "/responses/<int:response_id>/history", "owner",
             on_invitation(INVITATION + "/responses/{last}/history",
                           lambda i, n: answers(i, 1, changes=n)), 4, listed=True),
    Endpoint(ROUTE + "/responses/export", "owner",
             on_invitation(INVITATION + "/responses/export", answers), 3, variant="csv"),
    Endpoint(ROUTE + "/responses/export", "owner",
             on_invitation(INVITATION + "/responses/export?format=xlsx", answers), 3,
             variant="xlsx"),
    Endpoint(EDITOR + "/data", "owner", on_invitation("/api/editor/{id}/data", fill), 4),
    Endpoint(EDITOR + "/events", "owner", on_invitation("/api/editor/{id}/events", add_events),
             3, listed=True),
    Endpoint(EDITOR + "/media", "owner", on_invitation("/api/editor/{id}/media", add_media), 3,
             listed=True),
    Endpoint(EDITOR + "/preview", "owner", on_invitation("/api/editor/{id}/preview", fill), 4),
    # --- Guests ---
    # Without Redis the tests' page cache is in-process; a new code's first GET is a miss,
    # so this measures building the page.
    Endpoint(PUBLIC, "anonymous", on_published("/api/public/invitations/{guest_code}"), 3,
             variant="uncached, guest link"),
    Endpoint(PUBLIC + "/calendar.ics", "anonymous",
             on_published("/api/public/invitations/{main_code}/calendar.ics"), 3),
    Endpoint("/r/<code>", "anonymous", on_published("/r/{main_code}"), 2, status=302,
             variant="visit"),  # the link, then the counted visit
    Endpoint("/r/<code>", "anonymous", on_published("/r/{main_code}"), 3, headers=CRAWLER,
             variant="crawler preview"),
    Endpoint("/api/claims/<code>", "anonymous",
             detail("/api/claims/{0.code}?email=rosa@example.com", claims), 1),
    Endpoint("/api/testimonials", "anonymous", listing(f"/api/testimonials{PAGE}", approved), 1,
             listed=True),
    # --- Admins ---
    Endpoint("/api/admin/stats", "admin", listing("/api/admin/stats", stats_rows), 4),
    Endpoint("/api/admin/users", "admin", listing(f"/api/admin/users{PAGE}", customers), 2,
             listed=True),
    Endpoint("/api/admin/users/<int:user_id>", "admin",
             detail("/api/admin/users/{0.id}", customers), 2),
    Endpoint("/api/admin/orders", "admin",
             listing(f"/api/admin/orders{PAGE}", lambda w, n: orders(customers(w, n))), 5,
             listed=True),
    # The admin; the order; its items, events, invitations, payment notifications, buyer.
    Endpoint("/api/admin/orders/<order_number>", "admin",
             detail("/api/admin/orders/{0.order_number}", order_with_history), 7),
    Endpoint("/api/admin/templates", "admin", listing(f"/api/admin/templates{PAGE}", templates),
             2, listed=True),
    Endpoint("/api/admin/templates/<int:template_id>", "admin",
             detail("/api/admin/templates/{0.id}", templates), 2),
    Endpoint("/api/admin/plans", "admin", listing(f"/api/admin/plans{PAGE}", plans), 2,
             listed=True),
    Endpoint("/api/admin/plans/<int:plan_id>", "admin",
             detail("/api/admin/plans/{0.id}", plans), 2),
    Endpoint("/api/admin/coupons", "admin", listing(f"/api/admin/coupons{PAGE}", coupons), 3,
             listed=True),
    Endpoint("/api/admin/coupons/<int:coupon_id>", "admin",
             detail("/api/admin/coupons/{0.id}", coupon_with_usages), 3),
    # The admin; the coupon; its plans; the usages; their users; their orders.
    Endpoint("/api/admin/coupons/<int:coupon_id>/usages", "admin",
             detail("/api/admin/coupons/{0.id}/usages" + PAGE, coupon_with_usages), 6,
             listed=True),
    Endpoint("/api/admin/claims", "admin", listing(f"/api/admin/claims{PAGE}", claims), 3,
             listed=True),
    Endpoint("/api/admin/claims/<int:claim_id>", "admin",
             detail("/api/admin/claims/{0.id}", claims), 3),
    Endpoint("/api/admin/testimonials", "admin",
             listing(f"/api/admin/testimonials{PAGE}", approved), 3, listed=True),
    Endpoint("/api/admin/invitations", "admin",
             listing(f"/api/admin/invitations{PAGE}", lambda w, n: orders(customers(w, n))), 3,
             listed=True),
    Endpoint("/api/admin/audit-log", "admin", listing(f"/api/admin/audit-log{PAGE}", audit_rows),
             2, listed=True),
]
# fmt: on

# GET routes that read no rows, so have no budget.
WITHOUT_ROWS = {
    "/health": "one SELECT 1 on a connection of its own",
    "/metrics": "process counters",
    "/api/payments/health": "configuration (and, with deep=1, the gateway)",
    "/api/openapi.json": "the generated document",
    "/api/docs": "a static page",
    "/api/docs/assets/<path:filename>": "static files",
    "/static/<path:filename>": "static files",
    "/media/<path:name>": "stored files",
}


def _shown(statements: list[str]) -> str:
    return "\n".join(f"  {i}. {' '.join(s.split())[:240]}" for i, s in enumerate(statements, 1))


def test_every_get_route_has_a_budget_or_reads_no_rows(app):
    routes = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    budgeted = {endpoint.route for endpoint in ENDPOINTS}

    assert routes - budgeted - WITHOUT_ROWS.keys() == set(), "GET routes without a budget"
    assert (budgeted | WITHOUT_ROWS.keys()) - routes == set(), "budgets of no route"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_a_get_runs_the_same_statements_for_1_or_50_rows_within_its_budget(world, endpoint):
    recorded: dict[int, list[str]] = {}
    for rows in SIZES:
        path = endpoint.build(world, rows)
        headers = {**world.callers[endpoint.caller], **(endpoint.headers or {})}
        with recorded_statements() as statements:
            response = world.client.get(path, headers=headers, buffered=True)
        assert response.status_code == endpoint.status, (
            f"{endpoint.name}: GET {path} answered {response.status_code}: "
            f"{response.get_data()[:300]!r}"
        )
        if endpoint.listed:
            assert len(response.get_json()["items"]) >= rows, f"{endpoint.name}: GET {path}"
        recorded[rows] = list(statements)

    counts = {rows: len(statements) for rows, statements in recorded.items()}
    report = (
        f"GET {endpoint.name}: {counts[1]} statements with 1 row, {counts[50]} with 50 rows, "
        f"budget {endpoint.budget}\n-- 1 row:\n{_shown(recorded[1])}"
        f"\n-- 50 rows:\n{_shown(recorded[50])}"
    )
    assert counts[50] <= counts[1], "grows with the rows: " + report
    assert max(counts.values()) <= endpoint.budget, "over budget: " + report
