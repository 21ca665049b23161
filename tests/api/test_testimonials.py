"""Testimonials: paying customers write them, admins moderate them, everyone reads the approved."""

import secrets
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from extensions import db
from models.audit_log import AuditLog
from models.order import Order

# Aliased: pytest would try to collect a class whose name starts with "Test".
from models.testimonial import Testimonial as StoredTestimonial
from services import testimonials
from tests.commerce_fixtures import count, fresh
from tests.invitation_fixtures import paid_invitation, recorded_statements
from utils.time import utcnow

PUBLIC_FIELDS = {"id", "author_name", "event_type", "message", "rating", "is_featured",
                 "created_at"}  # fmt: skip
MESSAGE = "Nos encantó la invitación, todos los invitados la elogiaron."


def order_of(user, status="paid") -> Order:
    order = Order(
        order_number=f"ORD-{secrets.token_hex(6).upper()}",
        user_id=user.id,
        status=status,
        payment_status="refunded" if status == "refunded" else "paid",
        subtotal=Decimal("149.00"),
        total=Decimal("149.00"),
    )
    db.session.add(order)
    db.session.commit()
    return order


def add_testimonial(user=None, *, minutes_ago=0, **fields) -> StoredTestimonial:
    row = StoredTestimonial(
        user_id=user.id if user else None,
        author_name=fields.pop("author_name", "Rosa P."),
        message=fields.pop("message", MESSAGE),
        rating=fields.pop("rating", 5),
        is_approved=fields.pop("is_approved", True),
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def submit(client, headers, **body):
    return client.post(
        "/api/testimonials", json={"message": MESSAGE, "rating": 5, **body}, headers=headers
    )


@pytest.fixture
def customer(owner):
    """The owner, with a paid order."""
    order_of(owner)
    return owner


@pytest.fixture
def admin(make):
    return make.user(role="admin", email="admin@example.com")


@pytest.fixture
def admin_headers(admin, auth_headers):
    return auth_headers(admin)


# --- The public list ----------------------------------------------------------------------


def test_the_public_list_shows_approved_testimonials_featured_first_then_by_order_then_newest(
    client, make
):
    add_testimonial(author_name="old", minutes_ago=30)
    add_testimonial(author_name="new", minutes_ago=1)
    add_testimonial(author_name="ordered", display_order=0, minutes_ago=60)
    add_testimonial(author_name="late in order", display_order=5, minutes_ago=0)
    add_testimonial(author_name="featured second", is_featured=True, display_order=2)
    add_testimonial(author_name="featured first", is_featured=True, display_order=1)
    add_testimonial(author_name="pending", is_approved=False)

    body = client.get("/api/testimonials").get_json()

    assert [item["author_name"] for item in body["items"]] == [
        "featured first",
        "featured second",
        "new",
        "old",
        "ordered",
        "late in order",
    ]
    assert body["total"] == 6 and body["page"] == 1 and body["pages"] == 1


def test_the_public_list_never_shows_who_wrote_a_testimonial(client, owner):
    add_testimonial(owner, event_type="boda")

    (item,) = client.get("/api/testimonials").get_json()["items"]

    assert set(item) == PUBLIC_FIELDS
    assert item["event_type"] == "boda"
    assert owner.email not in str(item)


def test_the_public_list_is_paginated(client):
    for n in range(5):
        add_testimonial(author_name=f"Autor {n}", minutes_ago=n)

    body = client.get("/api/testimonials?page=2&per_page=2").get_json()

    assert [item["author_name"] for item in body["items"]] == ["Autor 2", "Autor 3"]
    assert (body["total"], body["pages"], body["per_page"]) == (5, 3, 2)


def test_the_public_list_runs_as_many_queries_for_fifty_testimonials_as_for_one(client, make):
    counts = {}
    for size in (1, 50):
        db.session.execute(delete(StoredTestimonial))
        for n in range(size):
            db.session.add(
                StoredTestimonial(
                    user_id=make.user().id, author_name=f"A{n}", message=MESSAGE, rating=4,
                    is_approved=True,
                )
            )  # fmt: skip
        db.session.commit()
        with recorded_statements() as statements:
            body = client.get("/api/testimonials?per_page=100").get_json()
        assert len(body["items"]) == size
        counts[size] = len(statements)

    assert counts[1] == counts[50], counts


# --- Submitting ---------------------------------------------------------------------------


def test_a_customer_with_a_paid_order_submits_a_testimonial_awaiting_approval(
    client, headers, customer
):
    response = submit(client, headers, rating=4, event_type="quinceanos")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["is_approved"] is False and body["is_featured"] is False
    assert (body["message"], body["rating"], body["event_type"]) == (MESSAGE, 4, "quinceanos")
    assert set(body) == PUBLIC_FIELDS | {"is_approved"}
    assert fresh(StoredTestimonial, body["id"]).user_id == customer.id
    assert client.get("/api/testimonials").get_json()["items"] == []


def test_the_author_name_defaults_to_the_first_name_and_last_initial(client, headers, customer):
    assert submit(client, headers).get_json()["author_name"] == "Ana Q."


def test_a_customer_may_sign_with_another_name(client, headers, customer):
    response = submit(client, headers, author_name="La familia Quispe")

    assert response.get_json()["author_name"] == "La familia Quispe"


def test_a_checkout_paid_through_the_api_is_enough_to_submit(client, headers):
    paid_invitation(client, headers)

    assert submit(client, headers).status_code == 201


def test_anonymous_callers_cannot_submit(client):
    assert submit(client, {}).status_code == 401


@pytest.mark.parametrize("status", [None, "pending", "cancelled", "expired", "refunded"])
def test_a_customer_without_a_paid_order_is_forbidden(client, owner, headers, status):
    if status is not None:
        order_of(owner, status)

    response = submit(client, headers)

    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert "paid order" in response.get_json()["message"]
    assert count(StoredTestimonial) == 0


def test_an_order_whose_refund_is_under_way_still_counts_as_paid(client, owner, headers):
    order_of(owner, "refunding")

    assert submit(client, headers).status_code == 201


def test_a_second_testimonial_awaiting_approval_is_a_conflict(client, headers, customer):
    assert submit(client, headers).status_code == 201

    response = submit(client, headers, message="Otro mensaje más para la página.")

    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict"
    assert count(StoredTestimonial) == 1


def test_once_approved_the_customer_may_submit_another(client, headers, customer, admin_headers):
    first = submit(client, headers).get_json()
    client.patch(
        f"/api/admin/testimonials/{first['id']}", json={"is_approved": True}, headers=admin_headers
    )

    assert submit(client, headers).status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"message": "Muy bien"}, "message"),
        ({"message": " " * 12}, "message"),
        ({"message": "x" * 2001}, "message"),
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": "5"}, "rating"),
        ({"rating": 4.5}, "rating"),
        ({"rating": True}, "rating"),
        ({"event_type": "divorcio"}, "event_type"),
        ({"author_name": "   "}, "author_name"),
        ({"author_name": "x" * 151}, "author_name"),
        ({"user_id": 1}, "user_id"),
        ({"is_approved": True}, "is_approved"),
    ],
)
def test_a_testimonial_out_of_bounds_is_refused(client, headers, customer, body, field):
    response = submit(client, headers, **body)

    assert response.status_code == 422
    assert field in response.get_json()["details"]
    assert count(StoredTestimonial) == 0


def test_message_and_rating_are_required(client, headers, customer):
    response = client.post("/api/testimonials", json={}, headers=headers)

    assert response.status_code == 422
    assert set(response.get_json()["details"]) == {"message", "rating"}


# --- Concurrency --------------------------------------------------------------------------

THREADS = 8


@pytest.fixture
def slow_submits(monkeypatch):
    """Each submit dawdles while holding its locks, so that the others have begun theirs (and,
    on MariaDB, taken their snapshot) before the first commits."""
    check = testimonials._has_paid_order

    def slow_check(user_id: int) -> bool:
        time.sleep(0.05)
        return check(user_id)

    monkeypatch.setattr(testimonials, "_has_paid_order", slow_check)


def submit_at_once(app, submits: list[tuple[dict, dict]]) -> list:
    """POST each (headers, body) from its own thread, client, session and connection, all
    released together; the status codes (or the exception) in order."""
    barrier = threading.Barrier(len(submits))
    results: list = [None] * len(submits)

    def worker(index: int, headers: dict, body: dict) -> None:
        client = app.test_client()
        # A refused request first, so the first submit does not also pay for warming up.
        client.post("/api/testimonials", json={}, headers=headers)
        barrier.wait()
        try:
            results[index] = client.post(
                "/api/testimonials", json=body, headers=headers
            ).status_code
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            results[index] = repr(error)

    threads = [
        threading.Thread(target=worker, args=(index, *submit))
        for index, submit in enumerate(submits)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results


def test_concurrent_submits_of_one_customer_leave_one_testimonial_awaiting_approval(
    app, headers, customer, slow_submits
):
    bodies = [{"message": f"{MESSAGE} ({n})", "rating": 5} for n in range(THREADS)]

    outcomes = Counter(submit_at_once(app, [(headers, body) for body in bodies]))

    assert outcomes == {201: 1, 409: THREADS - 1}, outcomes
    assert count(StoredTestimonial) == 1


def test_concurrent_submits_of_different_customers_all_succeed(
    app, make, auth_headers, slow_submits
):
    users = [make.user() for _ in range(THREADS)]
    for user in users:
        order_of(user)
    body = {"message": MESSAGE, "rating": 5}

    results = submit_at_once(app, [(auth_headers(user), body) for user in users])

    assert results == [201] * THREADS
    assert count(StoredTestimonial) == THREADS


# --- Admin --------------------------------------------------------------------------------

ADMIN_ROUTES = [
    ("get", "/api/admin/testimonials"),
    ("patch", "/api/admin/testimonials/1"),
    ("delete", "/api/admin/testimonials/1"),
]


@pytest.mark.parametrize("method, path", ADMIN_ROUTES)
def test_admin_routes_are_403_for_customers_and_401_for_anonymous(client, headers, method, path):
    as_customer = getattr(client, method)(path, headers=headers, json={})
    anonymous = getattr(client, method)(path, json={})

    assert as_customer.status_code == 403
    assert as_customer.get_json()["error"] == "forbidden"
    assert anonymous.status_code == 401


def test_admins_list_testimonials_newest_first_with_their_author(client, owner, admin_headers):
    older = add_testimonial(owner, is_approved=False, minutes_ago=10)
    newer = add_testimonial(None, is_approved=True, minutes_ago=1)

    body = client.get("/api/admin/testimonials", headers=admin_headers).get_json()

    assert [item["id"] for item in body["items"]] == [newer.id, older.id]
    pending = body["items"][1]
    assert (pending["user_id"], pending["user_email"]) == (owner.id, owner.email)
    assert pending["is_approved"] is False
    assert "display_order" in pending and "updated_at" in pending
    assert (body["items"][0]["user_id"], body["items"][0]["user_email"]) == (None, None)


@pytest.mark.parametrize("status, expected", [("pending", ["waiting"]), ("approved", ["shown"])])
def test_admins_filter_testimonials_by_status(client, admin_headers, status, expected):
    add_testimonial(author_name="waiting", is_approved=False)
    add_testimonial(author_name="shown", is_approved=True)

    body = client.get(f"/api/admin/testimonials?status={status}", headers=admin_headers)

    assert [item["author_name"] for item in body.get_json()["items"]] == expected


def test_an_unknown_status_filter_is_refused(client, admin_headers):
    response = client.get("/api/admin/testimonials?status=rejected", headers=admin_headers)

    assert response.status_code == 422
    assert "status" in response.get_json()["details"]


def test_the_admin_list_runs_as_many_queries_for_fifty_testimonials_as_for_one(
    client, make, admin_headers
):
    counts = {}
    for size in (1, 50):
        db.session.execute(delete(StoredTestimonial))
        for n in range(size):
            db.session.add(
                StoredTestimonial(user_id=make.user().id, author_name=f"A{n}", message=MESSAGE,
                            rating=3)
            )  # fmt: skip
        db.session.commit()
        with recorded_statements() as statements:
            body = client.get("/api/admin/testimonials?per_page=100", headers=admin_headers)
        assert len(body.get_json()["items"]) == size
        assert all(item["user_email"] for item in body.get_json()["items"])
        counts[size] = len(statements)

    assert counts[1] == counts[50], counts


def test_approving_a_testimonial_shows_it_and_is_audited(client, owner, admin, admin_headers):
    row = add_testimonial(owner, is_approved=False)

    response = client.patch(
        f"/api/admin/testimonials/{row.id}", json={"is_approved": True}, headers=admin_headers
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["is_approved"] is True
    assert [item["id"] for item in client.get("/api/testimonials").get_json()["items"]] == [row.id]
    (log,) = db.session.scalars(select(AuditLog)).all()
    assert (log.action, log.entity_type, log.entity_id) == (
        "testimonial.update",
        "testimonial",
        str(row.id),
    )
    assert (log.actor_id, log.actor_email) == (admin.id, admin.email)
    assert log.changes == {"is_approved": [False, True]}


def test_featuring_and_ordering_an_approved_testimonial(client, admin_headers):
    row = add_testimonial(is_approved=True)

    response = client.patch(
        f"/api/admin/testimonials/{row.id}",
        json={"is_featured": True, "display_order": 10_000},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert (response.get_json()["is_featured"], response.get_json()["display_order"]) == (
        True,
        10_000,
    )
    log = db.session.scalars(select(AuditLog)).one()
    assert log.changes == {"display_order": [0, 10_000], "is_featured": [False, True]}


def test_approving_and_featuring_at_once_is_fine(client, admin_headers):
    row = add_testimonial(is_approved=False)

    response = client.patch(
        f"/api/admin/testimonials/{row.id}",
        json={"is_approved": True, "is_featured": True},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert client.get("/api/testimonials").get_json()["items"][0]["is_featured"] is True


@pytest.mark.parametrize(
    "start, body",
    [
        ({"is_approved": False}, {"is_featured": True}),
        ({"is_approved": True, "is_featured": True}, {"is_approved": False}),
    ],
)
def test_a_featured_testimonial_must_be_approved(client, admin_headers, start, body):
    row = add_testimonial(**start)

    response = client.patch(f"/api/admin/testimonials/{row.id}", json=body, headers=admin_headers)

    assert response.status_code == 422
    assert "is_featured" in response.get_json()["details"]
    after = fresh(StoredTestimonial, row.id)
    assert (after.is_approved, after.is_featured) == (start["is_approved"],
                                                      start.get("is_featured", False))  # fmt: skip
    assert count(AuditLog) == 0


def test_unapproving_a_featured_testimonial_and_unfeaturing_it_together_is_fine(
    client, admin_headers
):
    row = add_testimonial(is_approved=True, is_featured=True)

    response = client.patch(
        f"/api/admin/testimonials/{row.id}",
        json={"is_approved": False, "is_featured": False},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert client.get("/api/testimonials").get_json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"display_order": -1},
        {"display_order": 10_001},
        {"display_order": "3"},
        {"is_approved": "true"},
        {"is_featured": 1},
        {"message": "Otro texto distinto aquí."},
    ],
)
def test_an_invalid_change_is_refused(client, admin_headers, body):
    row = add_testimonial()

    response = client.patch(f"/api/admin/testimonials/{row.id}", json=body, headers=admin_headers)

    assert response.status_code == 422
    assert set(response.get_json()["details"]) == set(body)


def test_deleting_a_testimonial_removes_it_and_is_audited(client, owner, admin, admin_headers):
    row = add_testimonial(owner, author_name="Ana Q.", rating=4)
    row_id = row.id

    response = client.delete(f"/api/admin/testimonials/{row_id}", headers=admin_headers)

    assert response.status_code == 204 and response.data == b""
    assert fresh(StoredTestimonial, row_id) is None
    log = db.session.scalars(select(AuditLog)).one()
    assert (log.action, log.entity_id, log.actor_id) == ("testimonial.delete", str(row_id),
                                                         admin.id)  # fmt: skip
    assert log.changes["author_name"] == ["Ana Q.", None]
    assert log.changes["rating"] == [4, None]
    assert log.changes["user_id"] == [owner.id, None]
    assert log.changes["message"] == [MESSAGE, None]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_an_unknown_testimonial_is_404(client, admin_headers, method):
    response = getattr(client, method)(
        "/api/admin/testimonials/999999", json={"is_approved": True}, headers=admin_headers
    )

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert count(AuditLog) == 0
