"""Concurrent answers for one guest, each from its own thread, client, session and connection:
exactly one row, whatever the database."""

from collections import Counter

from sqlalchemy import func, select

from extensions import db
from models.invitation_response import InvitationResponse
from models.invitation_response_change import InvitationResponseChange
from tests.concurrency import fire_at_once
from tests.guest_fixtures import guest_link, published_invitation

THREADS = 10


def _fire(app, path: str, bodies: list[dict], headers: dict | None = None) -> list:
    """The status of each of `bodies` POSTed to `path` at once."""
    calls = [{"path": path, "json": body, "headers": headers or {}}
             for body in bodies]  # fmt: skip
    return [status for status, _body in fire_at_once(app, calls)]


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_concurrent_answers_through_one_guest_link_leave_one_row(app, client, headers):
    invitation = published_invitation(client, headers)
    code = guest_link(invitation["id"], max_guests=5).code
    bodies = [
        {"guest_name": "Familia Pérez", "status": "confirmed", "number_of_guests": 1 + n % 5}
        for n in range(THREADS)
    ]

    outcomes = Counter(_fire(app, f"/api/public/invitations/{code}/rsvp", bodies))

    assert outcomes[201] == 1, outcomes
    assert outcomes[200] == THREADS - 1, outcomes
    assert _count(InvitationResponse) == 1
    # One creation, and a change row for each later answer that changed something.
    assert 1 <= _count(InvitationResponseChange) <= THREADS


def test_concurrent_first_answers_of_one_guest_through_the_main_code_leave_one_row(
    app, client, headers
):
    invitation = published_invitation(client, headers)
    body = {"guest_name": "Rosa Díaz", "phone": "987654321", "status": "confirmed",
            "number_of_guests": 2}  # fmt: skip

    outcomes = Counter(
        _fire(app, f"/api/public/invitations/{invitation['main_code']}/rsvp", [body] * THREADS)
    )

    assert outcomes[201] == 1, outcomes
    assert outcomes[200] == THREADS - 1, outcomes
    assert _count(InvitationResponse) == 1
    assert _count(InvitationResponseChange) == 1


def test_one_idempotency_key_sent_ten_times_at_once_creates_one_answer(app, client, headers):
    invitation = published_invitation(client, headers)
    body = {"guest_name": "Rosa Díaz", "status": "confirmed", "number_of_guests": 2}

    outcomes = Counter(
        _fire(
            app,
            f"/api/public/invitations/{invitation['main_code']}/rsvp",
            [body] * THREADS,
            headers={"Idempotency-Key": "double-tap"},
        )
    )

    # The first is created; the others were replayed (201) or found it still running (409).
    assert set(outcomes) <= {201, 409}, outcomes
    assert outcomes[201] >= 1
    assert _count(InvitationResponse) == 1
    assert _count(InvitationResponseChange) == 1
