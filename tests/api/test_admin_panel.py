"""The admin panel: audit log of every admin write, the last admin kept, invitations and
their take-down, the business in figures, and the role check on every admin route."""

import re
import threading
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models.audit_log import AuditLog
from models.claim import Claim
from models.invitation_response import InvitationResponse
from models.order import Order
from models.payment_transaction import PaymentTransaction
from models.user import User
from tests.guest_fixtures import page, published_invitation
from tests.invitation_fixtures import recorded_statements
from utils.time import utcnow


@pytest.fixture
def admin(make):
    return make.user(role="admin", email="jefa@example.com")


@pytest.fixture
def admin_headers(admin, auth_headers):
    return auth_headers(admin)


def audit_rows(**filters) -> list[AuditLog]:
    db.session.rollback()
    query = select(AuditLog).filter_by(**filters).order_by(AuditLog.id)
    return db.session.scalars(query).all()


# --- Audit log ------------------------------------------------------------------------------


def test_catalogue_writes_are_audited_field_by_field(client, admin, admin_headers):
    created = client.post(
        "/api/admin/plans",
        json={"name": "Oro", "slug": "oro", "price": "199.00", "features": {"rsvp": True}},
        headers=admin_headers,
    ).get_json()
    client.patch(
        f"/api/admin/plans/{created['id']}", json={"price": "179.50"}, headers=admin_headers
    )
    client.delete(f"/api/admin/plans/{created['id']}", headers=admin_headers)

    create, change, delete = audit_rows(entity_type="plan", entity_id=str(created["id"]))
    assert (create.action, create.actor_id) == ("plan.create", admin.id)
    assert create.actor_email == "jefa@example.com"
    assert create.changes["name"] == [None, "Oro"]
    assert change.action == "plan.update"
    assert change.changes == {"price": ["199.00", "179.50"]}
    assert delete.action == "plan.delete"
    assert delete.changes["slug"] == ["oro", None]


def test_coupon_plan_changes_are_audited(client, make, admin_headers):
    plan = make.plan()
    coupon = client.post(
        "/api/admin/coupons",
        json={"code": "BODA10", "discount_type": "percentage", "discount_value": "10"},
        headers=admin_headers,
    ).get_json()
    client.patch(
        f"/api/admin/coupons/{coupon['id']}", json={"plan_ids": [plan.id]}, headers=admin_headers
    )
    _create, change = audit_rows(entity_type="coupon")
    assert change.changes == {"plan_ids": [[], [plan.id]]}


def test_user_changes_are_audited_without_secrets(client, make, admin_headers):
    customer = make.user()
    client.patch(
        f"/api/admin/users/{customer.id}", json={"is_active": False}, headers=admin_headers
    )

    [row] = audit_rows(entity_type="user")
    assert row.action == "user.update"
    assert row.changes["is_active"] == [True, False]
    assert "password_hash" not in row.changes
    assert all("password" not in key for key in AuditLog.__table__.columns.keys())


def test_the_audit_log_lists_newest_first_with_filters(client, make, admin, admin_headers):
    template = make.template()
    original_name = template.name
    client.patch(f"/api/admin/templates/{template.id}", json={"name": "A"}, headers=admin_headers)
    client.patch(f"/api/admin/templates/{template.id}", json={"name": "B"}, headers=admin_headers)
    other = make.user()
    client.patch(f"/api/admin/users/{other.id}", json={"role": "admin"}, headers=admin_headers)

    everything = client.get("/api/admin/audit-log", headers=admin_headers).get_json()
    templates = client.get(
        f"/api/admin/audit-log?entity_type=template&entity_id={template.id}", headers=admin_headers
    ).get_json()
    by_actor = client.get(f"/api/admin/audit-log?actor_id={admin.id}", headers=admin_headers)

    assert [item["action"] for item in everything["items"]] == [
        "user.update", "template.update", "template.update",
    ]  # fmt: skip
    assert everything["items"][0]["actor"] == {"id": admin.id, "email": "jefa@example.com"}
    assert [item["changes"]["name"] for item in templates["items"]] == [
        ["A", "B"],
        [original_name, "A"],
    ]
    assert by_actor.get_json().get("total") == 3, by_actor.get_json()


def test_a_failed_admin_write_leaves_no_audit_row(client, make, admin_headers):
    make.plan(slug="ocupado")
    other = make.plan()
    response = client.patch(
        f"/api/admin/plans/{other.id}", json={"slug": "ocupado"}, headers=admin_headers
    )
    assert response.status_code == 409
    assert audit_rows() == []


# --- The last admin ---------------------------------------------------------------------------


def test_the_last_active_admin_can_be_neither_demoted_nor_disabled(
    client, make, admin, auth_headers
):
    second = make.user(role="admin")
    headers = auth_headers(second)
    assert client.patch(f"/api/admin/users/{admin.id}", json={"role": "user"},
                        headers=headers).status_code == 200  # fmt: skip

    # `second` is the only active admin left; another admin account that is disabled
    # does not count.
    make.user(role="admin", is_active=False)
    promoted = make.user(role="user")
    response = client.patch(f"/api/admin/users/{second.id}", json={"is_active": False},
                            headers=auth_headers(promoted))  # fmt: skip
    assert response.status_code == 403  # not an admin at all

    db.session.get(User, admin.id).role = "admin"
    db.session.commit()
    assert client.patch(f"/api/admin/users/{second.id}", json={"is_active": False},
                        headers=auth_headers(admin)).status_code == 200  # fmt: skip
    last = client.patch(f"/api/admin/users/{admin.id}", json={"role": "user"},
                        headers=auth_headers(admin))  # fmt: skip
    assert last.status_code == 409


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, make, auth_headers):
    first, second = make.user(role="admin"), make.user(role="admin")
    calls = [
        (auth_headers(first), second.id),
        (auth_headers(second), first.id),
    ] * 3
    barrier = threading.Barrier(2)
    outcomes: list = []

    def demote(headers, target):
        client = app.test_client()
        barrier.wait()
        outcomes.append(
            client.patch(
                f"/api/admin/users/{target}", json={"role": "user"}, headers=headers
            ).status_code
        )

    for pair_start in range(0, len(calls), 2):
        threads = [
            threading.Thread(target=demote, args=call)
            for call in calls[pair_start : pair_start + 2]
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        db.session.rollback()
        admins = db.session.scalars(select(User).where(User.role == "admin")).all()
        assert len(admins) >= 1, Counter(outcomes)
        for user in (first, second):
            db.session.get(User, user.id).role = "admin"
        db.session.commit()
    assert set(outcomes) <= {200, 403, 409}, outcomes


# --- Invitations and take-downs ---------------------------------------------------------------


def test_admins_search_every_invitation(client, make, auth_headers, admin_headers):
    owner = make.user(email="novia@example.com")
    published = published_invitation(client, auth_headers(owner))
    response = client.get("/api/admin/invitations?q=NOVIA@", headers=admin_headers).get_json()
    assert [item["id"] for item in response["items"]] == [published["id"]]
    item = response["items"][0]
    assert item["owner"] == {"id": owner.id, "email": "novia@example.com"}
    assert (item["couple_bride_name"], item["main_code"]) == ("Ana", published["main_code"])

    by_code = client.get(
        f"/api/admin/invitations?q={published['main_code']}", headers=admin_headers
    )
    by_name = client.get("/api/admin/invitations?q=luis", headers=admin_headers)
    unpublished = client.get("/api/admin/invitations?is_published=false", headers=admin_headers)
    assert by_code.get_json()["total"] == by_name.get_json()["total"] == 1
    assert unpublished.get_json()["total"] == 0


def test_a_take_down_removes_the_page_at_once_and_sticks(
    new_app, client, make, auth_headers, admin_headers
):
    owner_headers = auth_headers(make.user())
    published = published_invitation(client, owner_headers)
    other_worker = new_app().test_client()
    assert page(other_worker, published["main_code"]).status_code == 200

    response = client.post(
        f"/api/admin/invitations/{published['id']}/unpublish",
        json={"reason": "Contenido ofensivo"},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert response.get_json()["take_down_reason"] == "Contenido ofensivo"
    assert page(other_worker, published["main_code"]).status_code == 404
    again = client.post(f"/api/invitations/{published['id']}/publish", headers=owner_headers)
    assert again.status_code == 409
    assert again.get_json()["error"] == "invalid_state"
    [row] = audit_rows(entity_type="invitation")
    assert row.action == "invitation.take_down"
    assert row.changes["is_published"] == [True, False]
    assert row.changes["take_down_reason"] == [None, "Contenido ofensivo"]


@pytest.mark.parametrize(
    "body",
    [{"data": b""}, {"json": {}}, {"json": {"reason": None}}],
    ids=["no body", "empty object", "null reason"],
)
def test_a_take_down_needs_no_reason(client, admin_headers, headers, body):
    published = published_invitation(client, headers)

    response = client.post(
        f"/api/admin/invitations/{published['id']}/unpublish", headers=admin_headers, **body
    )

    assert response.status_code == 200
    assert response.get_json()["is_published"] is False
    assert response.get_json()["take_down_reason"] is None
    assert response.get_json()["taken_down_at"] is not None


def test_a_take_down_refuses_a_blank_reason_and_an_unknown_invitation(
    client, admin_headers, headers
):
    published = published_invitation(client, headers)
    blank = client.post(
        f"/api/admin/invitations/{published['id']}/unpublish",
        json={"reason": "   "},
        headers=admin_headers,
    )
    missing = client.post(
        "/api/admin/invitations/999999/unpublish", json={"reason": "x"}, headers=admin_headers
    )
    assert blank.status_code == 422
    assert missing.status_code == 404


# --- Stats ------------------------------------------------------------------------------------


def _order(make, status, total, *, paid_at=None, created_at=None):
    user = make.user()
    order = Order(
        order_number=f"ORD-{status[:3].upper()}-{user.id}",
        user_id=user.id,
        status=status,
        subtotal=Decimal(total),
        total=Decimal(total),
        paid_at=paid_at,
    )
    if created_at:
        order.created_at = created_at
    db.session.add(order)
    db.session.commit()
    return order


def _notification(status, received_at=None):
    db.session.add(
        PaymentTransaction(source="ipn", order_status=status, received_at=received_at or utcnow())
    )
    db.session.commit()


def test_stats_count_the_business(client, make, admin_headers, headers):
    # 1 December 03:00 UTC is still 30 November in Lima.
    _order(make, "paid", "100.00", paid_at=datetime(2026, 12, 1, 3, tzinfo=UTC))
    _order(make, "paid", "50.00", paid_at=datetime(2026, 12, 1, 6, tzinfo=UTC))
    _order(make, "refunding", "20.00", paid_at=datetime(2026, 12, 2, 6, tzinfo=UTC))
    _order(make, "refunded", "70.00", paid_at=datetime(2026, 11, 3, tzinfo=UTC))
    _order(make, "pending", "30.00")
    for status in ("PAID", "PAID", "UNPAID"):
        _notification(status)
    published = published_invitation(client, headers)
    db.session.add(InvitationResponse(invitation_id=published["id"], guest_name="A",
                                      status="confirmed", number_of_guests=2))  # fmt: skip
    db.session.add_all([_claim("pending", date(2020, 1, 10)), _claim("answered", date(2020, 1, 10)),
                        _claim("in_review", date(2999, 1, 1))])  # fmt: skip
    db.session.commit()

    with recorded_statements() as statements:
        stats = client.get("/api/admin/stats", headers=admin_headers).get_json()

    assert stats["revenue_by_month"] == [
        {"month": "2026-11", "total": "100.00"},
        {"month": "2026-12", "total": "70.00"},
    ]
    assert stats["revenue_total"] == "170.00"
    assert stats["orders_by_status"]["paid"] == 3  # two here and the published invitation's
    assert stats["orders_by_status"]["pending"] == 1
    assert stats["orders_by_status"]["refunded"] == 1
    assert stats["payment_success_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert stats["invitations_published"] == 1
    assert stats["rsvps_total"] == 1
    assert (stats["claims_pending"], stats["claims_overdue"]) == (2, 1)
    assert stats["users_total"] == db.session.scalar(select(db.func.count()).select_from(User))
    assert len(statements) <= 4, statements  # the admin's token user, then three aggregates


def test_stats_within_lima_days(client, make, admin_headers):
    _order(make, "paid", "100.00", paid_at=datetime(2026, 12, 1, 3, tzinfo=UTC))
    _order(make, "paid", "40.00", paid_at=datetime(2026, 12, 1, 6, tzinfo=UTC))
    november = client.get("/api/admin/stats?date_from=2026-11-30&date_to=2026-11-30",
                          headers=admin_headers).get_json()  # fmt: skip
    assert november["revenue_total"] == "100.00"
    wrong = client.get("/api/admin/stats?date_from=2026-12-02&date_to=2026-12-01",
                       headers=admin_headers)  # fmt: skip
    assert wrong.status_code == 422


def _claim(status, due: date) -> Claim:
    return Claim(
        code=f"LR-2020-{abs(hash((status, due))) % 999999:06d}",
        claim_type="reclamo",
        full_name="Rosa",
        document_type="DNI",
        document_number="12345678",
        address="Lima",
        email="rosa@example.com",
        item_type="servicio",
        item_description="Invitación",
        detail="...",
        consumer_request="...",
        status=status,
        response_due_date=due,
    )


# --- Every admin route is for admins only -----------------------------------------------------


def admin_routes(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/admin"):
            continue
        path = re.sub(r"<(?:[a-z0-9]+:)?[a-z_]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


def test_every_admin_route_is_401_without_a_token_and_403_for_a_customer(app, client, headers):
    routes = list(admin_routes(app))
    assert len(routes) > 25
    for method, path in routes:
        anonymous = client.open(path, method=method, json={})
        customer = client.open(path, method=method, json={}, headers=headers)
        assert anonymous.status_code == 401, (method, path, anonymous.get_json())
        assert customer.status_code == 403, (method, path, customer.get_json())
        assert customer.get_json()["error"] == "forbidden"
