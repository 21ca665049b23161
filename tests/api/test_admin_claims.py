"""Admins' Libro de Reclamaciones: the list with its deadlines, the detail, review and answer,
each write in the audit log, and the answer e-mailed to the consumer."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models.audit_log import AuditLog
from models.claim import Claim
from models.order import Order
from tests.invitation_fixtures import recorded_statements
from utils.business_days import add_business_days
from utils.time import lima_date

ANSWER = "Revisamos su caso: corregimos la música y le devolvemos S/ 50.00."


@pytest.fixture
def admin(make):
    return make.user(role="admin", email="admin@example.com")


@pytest.fixture
def admin_headers(admin, auth_headers):
    return auth_headers(admin)


def add_claim(n: int = 1, *, order: Order | None = None, **columns) -> Claim:
    values = {
        "code": f"LR-2026-{n:06d}",
        "claim_type": "reclamo",
        "full_name": f"Consumidor {n}",
        "document_type": "DNI",
        "document_number": f"{40000000 + n}",
        "address": "Jr. Junín 123, Lima",
        "email": f"consumidor{n}@example.com",
        "item_type": "servicio",
        "item_description": "Invitación digital",
        "amount": Decimal("149.00"),
        "detail": "No puedo publicar mi invitación.",
        "consumer_request": "Que me ayuden a publicarla.",
        "order_id": order.id if order else None,
        "response_due_date": add_business_days(lima_date(), 15),
        "created_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
        **columns,
    }
    claim = Claim(**values)
    db.session.add(claim)
    db.session.commit()
    return claim


def an_order(user, n: int = 1) -> Order:
    order = Order(
        order_number=f"ORD-20260101-AAA{n:03d}",
        user_id=user.id,
        subtotal=Decimal("149.00"),
        total=Decimal("149.00"),
    )
    db.session.add(order)
    db.session.commit()
    return order


def audit_rows() -> list[AuditLog]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditLog).order_by(AuditLog.id)))


# --- Access --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/admin/claims"),
        ("GET", "/api/admin/claims/1"),
        ("POST", "/api/admin/claims/1/review"),
        ("POST", "/api/admin/claims/1/respond"),
    ],
)
def test_claims_are_for_admins_only(client, make, auth_headers, method, path):
    add_claim()
    body = {"response": ANSWER} if path.endswith("respond") else None

    anonymous = client.open(path, method=method, json=body)
    customer = client.open(path, method=method, json=body, headers=auth_headers(make.user()))

    assert anonymous.status_code == 401
    assert customer.status_code == 403
    assert customer.get_json()["error"] == "forbidden"


# --- List and detail -----------------------------------------------------------------------


def test_the_list_is_paginated_newest_first(client, admin_headers):
    for n in range(1, 4):
        add_claim(n)

    body = client.get("/api/admin/claims?per_page=2", headers=admin_headers).get_json()

    assert [item["code"] for item in body["items"]] == ["LR-2026-000003", "LR-2026-000002"]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 2, 3, 2)


def test_the_list_filters_by_status(client, admin_headers):
    add_claim(1)
    add_claim(2, status="in_review")
    add_claim(3, status="answered", response="Listo.", responded_at=datetime.now(UTC))

    body = client.get("/api/admin/claims?status=in_review", headers=admin_headers).get_json()

    assert [item["code"] for item in body["items"]] == ["LR-2026-000002"]
    bad = client.get("/api/admin/claims?status=closed", headers=admin_headers)
    assert bad.status_code == 422


def test_overdue_means_not_answered_and_past_the_due_date(client, admin_headers):
    today = lima_date()
    add_claim(1, response_due_date=today - timedelta(days=1))  # overdue
    add_claim(2, response_due_date=today)  # due today: still on time
    add_claim(3, response_due_date=today - timedelta(days=1), status="in_review")  # overdue
    add_claim(4, response_due_date=today - timedelta(days=30), status="answered",
              response="Listo.", responded_at=datetime.now(UTC))  # fmt: skip

    def codes(query):
        page = client.get(f"/api/admin/claims{query}", headers=admin_headers).get_json()
        return [item["code"][-1] for item in page["items"]]

    assert codes("?overdue=true") == ["3", "1"]
    assert codes("?overdue=false") == ["4", "2"]
    assert codes("?overdue=true&status=pending") == ["1"]
    assert codes("") == ["4", "3", "2", "1"]


def test_each_claim_says_how_many_business_days_are_left(client, admin_headers):
    today = lima_date()
    add_claim(1, response_due_date=add_business_days(today, 3))
    add_claim(2, response_due_date=add_business_days(today, -2))

    items = client.get("/api/admin/claims", headers=admin_headers).get_json()["items"]

    late, on_time = items
    assert (on_time["business_days_left"], on_time["is_overdue"]) == (3, False)
    assert (late["business_days_left"], late["is_overdue"]) == (-2, True)


def test_an_answered_claim_keeps_the_figure_of_the_day_it_was_answered(client, admin_headers):
    # Due Friday 15 Jan 2027, answered Wednesday 13 Jan (Lima): two business days early.
    add_claim(1, response_due_date=date(2027, 1, 15), status="answered", response="Listo.",
              responded_at=datetime(2027, 1, 13, 20, tzinfo=UTC))  # fmt: skip

    [item] = client.get("/api/admin/claims", headers=admin_headers).get_json()["items"]

    assert (item["business_days_left"], item["is_overdue"]) == (2, False)


def test_the_detail_has_every_field_and_the_deadline(client, make, admin_headers):
    user = make.user()
    claim = add_claim(1, order=an_order(user), user_id=user.id, phone="987654321",
                      is_minor=True, guardian_name="Juana Quispe")  # fmt: skip

    response = client.get(f"/api/admin/claims/{claim.id}", headers=admin_headers)

    assert response.status_code == 200
    body = response.get_json()
    columns = {column.key for column in Claim.__table__.columns}
    assert columns | {"order_number", "business_days_left", "is_overdue"} == set(body)
    assert body["order_number"] == "ORD-20260101-AAA001"
    assert body["user_id"] == user.id
    assert body["amount"] == "149.00"
    assert body["guardian_name"] == "Juana Quispe"
    assert (body["business_days_left"], body["is_overdue"]) == (15, False)


def test_an_unknown_claim_is_404(client, admin_headers):
    for path in ("/api/admin/claims/999", "/api/admin/claims/999/review"):
        method = "GET" if path.endswith("999") else "POST"
        assert client.open(path, method=method, headers=admin_headers).status_code == 404
    respond = client.post("/api/admin/claims/999/respond", json={"response": ANSWER},
                          headers=admin_headers)  # fmt: skip
    assert respond.status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_list_and_detail_run_a_fixed_number_of_queries(client, make, admin_headers, rows):
    user = make.user()
    last_id = [add_claim(n, order=an_order(user, n)).id for n in range(1, rows + 1)][-1]

    with recorded_statements() as listed:
        page = client.get("/api/admin/claims?per_page=100", headers=admin_headers)
    with recorded_statements() as detailed:
        one = client.get(f"/api/admin/claims/{last_id}", headers=admin_headers)

    assert len(page.get_json()["items"]) == rows
    assert one.get_json()["order_number"] == f"ORD-20260101-AAA{rows:03d}"
    # The admin (token checks included); the claims; their orders.
    assert len(listed) == 3, listed
    assert len(detailed) == 3, detailed


# --- Review and answer ---------------------------------------------------------------------


def test_review_moves_a_pending_claim_into_review_once(client, admin, admin_headers):
    claim = add_claim()

    first = client.post(f"/api/admin/claims/{claim.id}/review", headers=admin_headers)
    again = client.post(f"/api/admin/claims/{claim.id}/review", headers=admin_headers)

    assert first.status_code == 200
    assert first.get_json()["status"] == "in_review"
    assert again.status_code == 409
    assert again.get_json()["error"] == "invalid_state"
    [row] = audit_rows()
    assert (row.actor_id, row.actor_email) == (admin.id, "admin@example.com")
    assert (row.action, row.entity_type, row.entity_id) == ("claim.review", "claim", str(claim.id))
    assert row.changes == {"status": ["pending", "in_review"]}


def test_an_answered_claim_cannot_go_back_to_review(client, admin_headers):
    claim = add_claim(status="answered", response="Listo.", responded_at=datetime.now(UTC))

    response = client.post(f"/api/admin/claims/{claim.id}/review", headers=admin_headers)

    assert response.status_code == 409
    assert audit_rows() == []


@pytest.mark.parametrize("status", ["pending", "in_review"])
def test_responding_answers_the_claim_and_records_it(client, admin, admin_headers, status):
    claim = add_claim(status=status)

    response = client.post(f"/api/admin/claims/{claim.id}/respond", json={"response": ANSWER},
                           headers=admin_headers)  # fmt: skip

    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["response"], body["is_overdue"]) == ("answered", ANSWER, False)
    responded_at = datetime.fromisoformat(body["responded_at"])
    assert abs(responded_at - datetime.now(UTC)) < timedelta(minutes=1)
    [row] = audit_rows()
    assert (row.action, row.actor_id, row.entity_id) == ("claim.respond", admin.id, str(claim.id))
    assert set(row.changes) == {"status", "response", "responded_at"}
    assert row.changes["status"] == [status, "answered"]
    assert row.changes["response"] == [None, ANSWER]
    assert row.changes["responded_at"][0] is None
    assert datetime.fromisoformat(row.changes["responded_at"][1]) == responded_at


def test_an_answered_claim_cannot_be_answered_again(client, admin_headers):
    claim = add_claim()
    path = f"/api/admin/claims/{claim.id}/respond"
    client.post(path, json={"response": ANSWER}, headers=admin_headers)

    again = client.post(path, json={"response": "Otra respuesta."}, headers=admin_headers)

    assert again.status_code == 409
    assert again.get_json()["error"] == "invalid_state"
    db.session.rollback()
    assert db.session.get(Claim, claim.id).response == ANSWER
    assert [row.action for row in audit_rows()] == ["claim.respond"]


@pytest.mark.parametrize(
    "body",
    [{}, {"response": ""}, {"response": "   "}, {"response": "x" * 10_001},
     {"response": ANSWER, "status": "pending"}],
    ids=["missing", "empty", "blank", "too long", "unknown field"],
)  # fmt: skip
def test_an_answer_is_1_to_10000_characters(client, admin_headers, body):
    claim = add_claim()

    response = client.post(f"/api/admin/claims/{claim.id}/respond", json=body,
                           headers=admin_headers)  # fmt: skip

    assert response.status_code == 422
    db.session.rollback()
    assert db.session.get(Claim, claim.id).status == "pending"


def test_the_longest_answer_is_kept_whole(client, admin_headers):
    claim = add_claim()
    answer = "á" * 10_000

    response = client.post(f"/api/admin/claims/{claim.id}/respond", json={"response": answer},
                           headers=admin_headers)  # fmt: skip

    assert response.status_code == 200
    db.session.rollback()
    assert db.session.get(Claim, claim.id).response == answer


def test_the_consumer_gets_the_answer_by_email(new_app, smtp_server, make, auth_headers):
    app = new_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    claim = add_claim(7, claim_type="queja")
    headers = auth_headers(make.user(role="admin"))

    app.test_client().post(f"/api/admin/claims/{claim.id}/respond", json={"response": ANSWER},
                           headers=headers)  # fmt: skip

    [(_, recipients, message)] = smtp_server.messages
    assert recipients == ["consumidor7@example.com"]
    assert message["Subject"] == "Respuesta a tu queja LR-2026-000007"
    text = message.get_content()
    assert "Hola, Consumidor 7:" in text
    assert ANSWER in text


def test_no_email_when_the_answer_is_refused(new_app, smtp_server, make, auth_headers):
    app = new_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    claim = add_claim(status="answered", response="Listo.", responded_at=datetime.now(UTC))

    response = app.test_client().post(
        f"/api/admin/claims/{claim.id}/respond",
        json={"response": ANSWER},
        headers=auth_headers(make.user(role="admin")),
    )

    assert response.status_code == 409
    assert smtp_server.messages == []
