"""Guests' answers: the contract's rules, one answer per guest, every change kept."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from extensions import db
from models.idempotency_key import IdempotencyKey
from models.invitation import Invitation
from models.invitation_response import InvitationResponse
from models.invitation_response_change import InvitationResponseChange
from services.idempotency import request_fingerprint
from services.public_pages import deadline_passed
from tests.guest_fixtures import edit_data, guest_link, published_invitation, rsvp
from tests.invitation_fixtures import FULL_FEATURES
from utils.time import lima_date, utcnow


@pytest.fixture
def published(client, headers):
    return published_invitation(client, headers)


def responses():
    return db.session.scalars(select(InvitationResponse).order_by(InvitationResponse.id)).all()


def changes():
    return db.session.scalars(
        select(InvitationResponseChange).order_by(InvitationResponseChange.id)
    ).all()


def test_a_guest_link_takes_one_answer_that_can_change(client, published):
    code = guest_link(published["id"], max_guests=3).code

    first = rsvp(client, code, guest_name="Familia Pérez", number_of_guests=2)
    changed = rsvp(client, code, guest_name="Familia Pérez", status="declined", number_of_guests=0)

    assert first.status_code == 201
    assert changed.status_code == 200
    assert changed.get_json()["id"] == first.get_json()["id"]
    [stored] = responses()
    assert (stored.status, stored.number_of_guests) == ("declined", 0)
    assert [(c.change, c.from_status, c.status, c.number_of_guests) for c in changes()] == [
        ("created", None, "confirmed", 2),
        ("changed", "confirmed", "declined", 0),
    ]


def test_the_same_answer_sent_again_changes_nothing(client, published):
    code = guest_link(published["id"]).code
    rsvp(client, code)
    again = rsvp(client, code)
    assert again.status_code == 200
    assert len(changes()) == 1


def test_a_guest_link_cannot_bring_more_than_its_passes(client, published):
    code = guest_link(published["id"], max_guests=2).code

    response = rsvp(client, code, number_of_guests=3)

    assert response.status_code == 422
    assert "number_of_guests" in response.get_json()["details"]
    assert responses() == []


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ({"status": "declined", "number_of_guests": 2}, "number_of_guests"),
        ({"status": "confirmed", "number_of_guests": 0}, "number_of_guests"),
        ({"status": "confirmed", "number_of_guests": None}, "number_of_guests"),
        ({"status": "maybe"}, "status"),
        ({"guest_name": "   "}, "guest_name"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "123456789"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"number_of_guests": "2"}, "number_of_guests"),
        ({"message": "x" * 1001}, "message"),
    ],
)
def test_bad_answers_are_422_and_store_nothing(client, published, answer, field):
    body = {"guest_name": "Rosa", "status": "confirmed", "number_of_guests": 1, **answer}
    response = client.post(f"/api/public/invitations/{published['main_code']}/rsvp", json=body)

    assert response.status_code == 422
    assert field in response.get_json()["details"]
    assert responses() == []


def test_a_decline_may_leave_out_the_number_and_brings_nobody(client, published):
    response = client.post(
        f"/api/public/invitations/{published['main_code']}/rsvp",
        json={"guest_name": "Rosa", "status": "declined"},
    )
    assert response.status_code == 201
    assert response.get_json()["number_of_guests"] == 0


def test_through_the_main_code_the_same_guest_updates_their_answer(client, published):
    code = published["main_code"]
    first = rsvp(client, code, guest_name="José Pérez", phone="987 654 321", number_of_guests=2)
    again = rsvp(client, code, guest_name="  jose   PEREZ ", phone="+51 987-654-321")
    other = rsvp(client, code, guest_name="José Pérez", phone="912345678")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["phone"] == "51987654321"
    assert len(responses()) == 2


def test_through_the_main_code_the_party_is_capped(client, headers, published):
    edit_data(client, headers, published["id"], default_max_guests=4)
    assert rsvp(client, published["main_code"], number_of_guests=5).status_code == 422
    assert rsvp(client, published["main_code"], number_of_guests=4).status_code == 201


def test_closed_rsvps_are_409(client, headers, published):
    code = published["main_code"]
    yesterday = (lima_date() - timedelta(days=1)).isoformat()
    edit_data(client, headers, published["id"], rsvp_deadline=yesterday)
    closed = rsvp(client, code)
    assert closed.status_code == 409
    assert closed.get_json()["error"] == "rsvp_closed"

    edit_data(client, headers, published["id"], rsvp_deadline=lima_date().isoformat())
    assert rsvp(client, code).status_code == 201

    edit_data(client, headers, published["id"], rsvp_enabled=False)
    assert rsvp(client, code, guest_name="Otra").status_code == 409
    assert page_rsvp(client, code) == {"enabled": False, "open": False}


def page_rsvp(client, code):
    state = client.get(f"/api/public/invitations/{code}").get_json()["rsvp"]
    return {"enabled": state["enabled"], "open": state["open"]}


def test_a_plan_without_rsvp_takes_no_answers(client, headers):
    invitation = published_invitation(client, headers, features={**FULL_FEATURES, "rsvp": False})
    assert rsvp(client, invitation["main_code"]).status_code == 409
    assert page_rsvp(client, invitation["main_code"]) == {"enabled": False, "open": False}


def test_unpublished_is_404_and_expired_is_410(client, headers, published):
    code = published["main_code"]
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == published["id"])
        .values(published_at=utcnow() - timedelta(days=365), version=Invitation.version + 1)
    )
    db.session.commit()
    assert rsvp(client, code).status_code == 410
    client.post(f"/api/invitations/{published['id']}/unpublish", headers=headers)
    assert rsvp(client, code).status_code == 404
    assert rsvp(client, "nope-nope").status_code == 404


@pytest.mark.parametrize("server_timezone", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_the_deadline_day_is_a_lima_day_whatever_the_servers_zone(monkeypatch, server_timezone):
    import time

    monkeypatch.setenv("TZ", server_timezone)
    time.tzset()
    try:
        deadline = datetime(2027, 3, 1).date()
        # 23:59 in Lima (UTC-5) on the deadline is 04:59 UTC the next day.
        assert not deadline_passed(deadline, datetime(2027, 3, 2, 4, 59, 59, tzinfo=UTC))
        # 00:00 in Lima the next day.
        assert deadline_passed(deadline, datetime(2027, 3, 2, 5, 0, 0, tzinfo=UTC))
        assert not deadline_passed(deadline, datetime(2027, 3, 1, 5, 0, 0, tzinfo=UTC))
        assert not deadline_passed(None, datetime(2030, 1, 1, tzinfo=UTC))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_owner_gets_an_email_for_each_new_or_changed_answer(
    new_app, smtp_server, make, auth_headers
):
    app = new_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    client = app.test_client()
    owner = make.user(email="novios@example.com")
    invitation = published_invitation(client, auth_headers(owner))
    code = guest_link(invitation["id"], max_guests=4).code

    rsvp(client, code, guest_name="Tía Carmen", number_of_guests=3, message="¡Felicidades!")
    rsvp(client, code, guest_name="Tía Carmen", number_of_guests=2, message="¡Felicidades!")
    rsvp(client, code, guest_name="Tía Carmen", number_of_guests=2, message="¡Felicidades!")

    assert [recipients for _, recipients, _ in smtp_server.messages] == [
        ["novios@example.com"],
        ["novios@example.com"],
    ]
    first, second = (message for *_, message in smtp_server.messages)
    assert first["Subject"] == "Nueva respuesta: Tía Carmen"
    assert "confirmó asistencia (3 personas)" in first.get_content()
    assert second["Subject"] == "Respuesta cambiada: Tía Carmen"


def test_no_email_when_the_owner_turned_notices_off(new_app, smtp_server, make, auth_headers):
    app = new_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    client = app.test_client()
    invitation = published_invitation(client, auth_headers(make.user()), rsvp_notify_owner=False)
    assert rsvp(client, invitation["main_code"]).status_code == 201
    assert smtp_server.messages == []


# --- Idempotency-Key --------------------------------------------------------------------------


def test_a_repeated_key_replays_the_first_answer(client, published):
    code = published["main_code"]
    key = {"Idempotency-Key": "tap-1"}
    first = rsvp(client, code, guest_name="Rosa", headers=key)
    replay = rsvp(client, code, guest_name="Rosa", headers=key)

    assert first.status_code == replay.status_code == 201
    assert replay.get_json() == first.get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(changes()) == 1


def test_a_key_reused_with_another_body_is_422(client, published):
    code = published["main_code"]
    rsvp(client, code, guest_name="Rosa", headers={"Idempotency-Key": "k"})
    reused = rsvp(client, code, guest_name="Otra", headers={"Idempotency-Key": "k"})
    assert reused.status_code == 422
    assert reused.get_json()["error"] == "idempotency_key_reused"
    assert len(responses()) == 1


def test_keys_are_scoped_to_the_code(client, headers, published):
    other = published_invitation(client, headers)
    key = {"Idempotency-Key": "same"}
    assert rsvp(client, published["main_code"], headers=key).status_code == 201
    assert rsvp(client, other["main_code"], headers=key).status_code == 201


def test_a_key_still_running_is_409(client, published):
    path = f"/api/public/invitations/{published['main_code']}/rsvp"
    body = b'{"guest_name": "Rosa", "status": "declined"}'
    db.session.add(
        IdempotencyKey(
            scope=f"rsvp:{published['main_code']}",
            key="busy",
            request_hash=request_fingerprint("POST", path, body),
        )
    )
    db.session.commit()

    response = client.post(
        path, data=body, content_type="application/json", headers={"Idempotency-Key": "busy"}
    )

    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict"
    assert responses() == []


def test_an_error_answer_is_replayed_too(client, published):
    code = guest_link(published["id"], max_guests=1).code
    key = {"Idempotency-Key": "too-many"}
    first = rsvp(client, code, number_of_guests=2, headers=key)
    again = rsvp(client, code, number_of_guests=2, headers=key)
    assert first.status_code == again.status_code == 422
    assert again.get_json() == first.get_json()


def test_a_key_older_than_a_day_is_forgotten(client, published):
    code = published["main_code"]
    rsvp(client, code, headers={"Idempotency-Key": "old"})
    db.session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    again = rsvp(client, code, guest_name="Otra persona", headers={"Idempotency-Key": "old"})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers


@pytest.mark.parametrize("key", ["", "x" * 256, "clave-ñ"])
def test_malformed_keys_are_422(client, published, key):
    response = client.post(
        f"/api/public/invitations/{published['main_code']}/rsvp",
        json={"guest_name": "Rosa", "status": "declined"},
        headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")},
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_idempotency_keys_are_purged_after_a_day(runner, client, published):
    rsvp(client, published["main_code"], headers={"Idempotency-Key": "a"})
    rsvp(client, published["main_code"], guest_name="B", headers={"Idempotency-Key": "b"})
    db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == "a")
        .values(created_at=utcnow() - timedelta(hours=25))
    )
    db.session.commit()

    result = runner.invoke(args=["idempotency", "purge"])

    assert result.exit_code == 0, result.output
    assert "1" in result.output
    assert db.session.scalars(select(IdempotencyKey.key)).all() == ["b"]


# --- Rate limit -------------------------------------------------------------------------------


def test_answers_are_rate_limited_per_ip_and_invitation(new_app, client, headers, published):
    app = new_app(RATELIMIT_ENABLED=True, RATELIMIT_RSVP="2 per hour")
    limited = app.test_client()
    code = published["main_code"]
    other = published_invitation(client, headers)["main_code"]

    statuses = [rsvp(limited, code, guest_name=f"G{n}").status_code for n in range(3)]

    assert statuses == [201, 201, 429]
    assert rsvp(limited, other).status_code == 201


def test_every_spelling_and_code_of_an_invitation_shares_its_answer_limit(
    new_app, client, headers, published, limiter_storage
):
    limited = new_app(**limiter_storage, RATELIMIT_RSVP="4 per hour").test_client()
    code = published["main_code"]
    slug = client.post(
        f"/api/invitations/{published['id']}/urls",
        json={"kind": "custom", "slug": "ana-y-luis"},
        headers=headers,
    ).get_json()["code"]
    personal = guest_link(published["id"]).code
    other = published_invitation(client, headers)["main_code"]
    spellings = [code.upper(), code.capitalize(), slug.upper(), personal]

    statuses = [
        rsvp(limited, each, guest_name=f"G{n}").status_code for n, each in enumerate(spellings)
    ]
    refused = rsvp(limited, code, guest_name="Otra")

    assert statuses == [201] * 4
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Limit"] == "4"
    assert rsvp(limited, other.upper()).status_code == 201


def test_answers_to_unknown_codes_are_404_store_nothing_and_count_per_ip(
    new_app, published, limiter_storage
):
    limited = new_app(**limiter_storage, RATELIMIT_RSVP="3 per hour").test_client()

    statuses = [
        rsvp(limited, f"no-existe-{n}", headers={"Idempotency-Key": f"k{n}"}).status_code
        for n in range(4)
    ]

    assert statuses == [404, 404, 404, 429]
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    assert responses() == []
    a_real_code = rsvp(limited, published["main_code"], headers={"Idempotency-Key": "k0"})
    assert a_real_code.status_code == 201


@pytest.mark.parametrize("code", ["x" * 64, "x" * 96, "x" * 5000], ids=["64", "96", "5000"])
def test_a_code_no_invitation_can_have_is_404_with_a_key_and_stores_nothing(client, code):
    response = rsvp(client, code, headers={"Idempotency-Key": "k"})

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_an_unpublished_invitations_code_with_a_key_is_404_and_stores_nothing(
    client, headers, published
):
    client.post(f"/api/invitations/{published['id']}/unpublish", headers=headers)

    response = rsvp(client, published["main_code"], headers={"Idempotency-Key": "k"})

    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_an_answer_the_database_cannot_resolve_is_503_and_limits_keep_their_storage(
    new_app, tmp_path, caplog
):
    app = new_app(RATELIMIT_ENABLED=True, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/vacia.db")

    response = rsvp(app.test_client(), "ana-y-luis")

    assert response.status_code == 503
    assert response.get_json()["error"] == "service_unavailable"
    assert "storage unreachable" not in caplog.text
