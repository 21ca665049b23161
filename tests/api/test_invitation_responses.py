"""The couple's RSVP dashboard: the answers, their summary and forecast, history, activity."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models.invitation import Invitation
from models.invitation_response import InvitationResponse
from models.invitation_response_change import InvitationResponseChange
from models.invitation_url import KIND_CUSTOM, KIND_GUEST, InvitationUrl
from services.invitation_responses import expected_guests
from tests.invitation_fixtures import create_draft, paid_invitation, recorded_statements

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
ITEM_FIELDS = {
    "id",
    "guest_name",
    "phone",
    "email",
    "status",
    "number_of_guests",
    "message",
    "dietary_restrictions",
    "created_at",
    "updated_at",
    "invitation_url_id",
    "guest_link",
}


# --- Builders: rows as the public RSVP leaves them (an answer and its history) -------------


def guest_link(invitation_id: int, name: str, passes: int, *, active=True, kind=KIND_GUEST):
    link = InvitationUrl(
        invitation_id=invitation_id,
        kind=kind,
        code=f"pase-{invitation_id}-{db.session.scalar(select(func.count(InvitationUrl.id)))}",
        guest_name=name if kind == KIND_GUEST else None,
        max_guests=passes if kind == KIND_GUEST else None,
        is_active=active,
    )
    db.session.add(link)
    db.session.commit()
    return link


def answer(
    invitation_id: int,
    guest_name: str,
    *,
    status="confirmed",
    guests=1,
    link: InvitationUrl | None = None,
    at: datetime | None = None,
    **fields,
) -> InvitationResponse:
    """A response and its "created" history row, committed."""
    at = at or START
    response = InvitationResponse(
        invitation_id=invitation_id,
        invitation_url_id=link.id if link is not None else None,
        guest_name=guest_name,
        status=status,
        number_of_guests=guests,
        created_at=at,
        updated_at=at,
        **fields,
    )
    response.changes.append(
        InvitationResponseChange(
            invitation_id=invitation_id,
            change="created",
            status=status,
            number_of_guests=guests,
            guest_name=guest_name,
            message=fields.get("message"),
            changed_at=at,
        )
    )
    db.session.add(response)
    db.session.commit()
    return response


def change(response: InvitationResponse, *, status: str, guests: int, at: datetime, **fields):
    """The guest changes their answer: the response updated and a "changed" row added."""
    response.changes.append(
        InvitationResponseChange(
            invitation_id=response.invitation_id,
            change="changed",
            from_status=response.status,
            from_number_of_guests=response.number_of_guests,
            status=status,
            number_of_guests=guests,
            guest_name=fields.get("guest_name", response.guest_name),
            message=fields.get("message", response.message),
            changed_at=at,
        )
    )
    response.status = status
    response.number_of_guests = guests
    response.updated_at = at
    for name, value in fields.items():
        setattr(response, name, value)
    db.session.commit()
    return response


@pytest.fixture
def invitation(client, headers, make) -> int:
    return create_draft(client, headers, make.template())["id"]


def stranger_headers(make, auth_headers):
    return auth_headers(make.user())


def url(invitation_id: int, suffix: str = "") -> str:
    return f"/api/invitations/{invitation_id}/responses{suffix}"


# --- The list -----------------------------------------------------------------------------


def test_the_list_shows_answers_newest_first_with_their_guest_link(client, headers, invitation):
    link = guest_link(invitation, "Familia Muñoz", 4)
    older = answer(
        invitation,
        "Rosa Muñoz",
        guests=3,
        link=link,
        phone="51987654321",
        email="rosa@example.com",
        message="¡Allí estaremos!",
        dietary_restrictions="Vegetariana",
    )
    newer = answer(invitation, "Luis Pérez", status="declined", at=START + timedelta(hours=1))

    body = client.get(url(invitation), headers=headers).get_json()

    assert (body["total"], body["page"], body["pages"]) == (2, 1, 1)
    assert [item["id"] for item in body["items"]] == [newer.id, older.id]
    rosa = body["items"][1]
    assert set(rosa) == ITEM_FIELDS
    assert rosa["guest_link"] == {
        "id": link.id,
        "code": link.code,
        "guest_name": "Familia Muñoz",
        "max_guests": 4,
        "is_active": True,
    }
    assert (rosa["invitation_url_id"], rosa["status"], rosa["number_of_guests"]) == (
        link.id,
        "confirmed",
        3,
    )
    assert (rosa["phone"], rosa["email"], rosa["dietary_restrictions"]) == (
        "51987654321",
        "rosa@example.com",
        "Vegetariana",
    )
    assert rosa["created_at"] == "2026-12-01T15:00:00+00:00"
    luis = body["items"][0]
    assert (luis["guest_link"], luis["invitation_url_id"], luis["status"]) == (
        None,
        None,
        "declined",
    )


def test_the_list_filters_by_status_and_pages(client, headers, invitation):
    for minute in range(5):
        answer(invitation, f"Confirmado {minute}", at=START + timedelta(minutes=minute))
    answer(invitation, "Declinó", status="declined")

    declined = client.get(url(invitation, "?status=declined"), headers=headers).get_json()
    second = client.get(url(invitation, "?status=confirmed&per_page=2&page=2"), headers=headers)

    assert [item["guest_name"] for item in declined["items"]] == ["Declinó"]
    body = second.get_json()
    assert (body["total"], body["pages"], body["per_page"]) == (5, 3, 2)
    assert [item["guest_name"] for item in body["items"]] == ["Confirmado 2", "Confirmado 1"]


def test_q_matches_part_of_the_name_phone_or_email_in_any_case(client, headers, invitation):
    answer(invitation, "Rosa Muñoz", at=START)
    answer(invitation, "Luis", phone="51987654321", at=START + timedelta(minutes=1))
    answer(invitation, "Ana", email="Ana.Torres@Example.com", at=START + timedelta(minutes=2))
    answer(invitation, "100% Pedro_x", at=START + timedelta(minutes=3))

    def names(q):
        response = client.get(url(invitation), query_string={"q": q}, headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["guest_name"] for item in response.get_json()["items"]]

    assert names("ROSA MUÑ") == ["Rosa Muñoz"]
    assert names("87654") == ["Luis"]
    assert names("torres@example") == ["Ana"]
    assert names("  ana  ") == ["Ana"]
    # LIKE wildcards are matched literally.
    assert names("100%") == ["100% Pedro_x"]
    assert names("%") == ["100% Pedro_x"]
    assert names("o_x") == ["100% Pedro_x"]
    assert names("_") == ["100% Pedro_x"]
    assert names("zzz") == []


@pytest.mark.parametrize(
    "query",
    ["status=maybe", "status=", "page=0", "per_page=0", f"q={'x' * 101}"],
)
def test_bad_list_arguments_are_a_422_naming_the_field(client, headers, invitation, query):
    response = client.get(url(invitation, f"?{query}"), headers=headers)

    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_error"
    assert query.split("=")[0] in body["details"]


def test_the_list_runs_the_same_statements_for_1_or_50_answers(client, headers, make, owner):
    small = create_draft(client, headers, make.template())["id"]
    large = create_draft(client, headers, make.template())["id"]
    answer(small, "Sola", link=guest_link(small, "Sola", 2))
    for index in range(50):
        link = guest_link(large, f"Invitado {index}", 2) if index % 2 else None
        answer(large, f"Invitado {index}", link=link, at=START + timedelta(seconds=index))

    counts = {}
    for invitation_id in (small, large):
        with recorded_statements() as statements:
            response = client.get(url(invitation_id, "?per_page=100"), headers=headers)
        assert response.status_code == 200
        counts[invitation_id] = len(statements)

    assert len(response.get_json()["items"]) == 50
    assert response.get_json()["items"][0]["guest_link"]["guest_name"] == "Invitado 49"
    assert response.get_json()["items"][1]["guest_link"] is None
    assert counts[small] == counts[large] <= 3, counts


# --- The summary and its forecast ---------------------------------------------------------


def test_an_invitation_without_answers_has_an_empty_summary(client, headers, invitation):
    body = client.get(url(invitation, "/summary"), headers=headers).get_json()

    assert body == {
        "total": 0,
        "confirmed": 0,
        "declined": 0,
        "guests_confirmed": 0,
        "guest_links_total": 0,
        "guest_links_answered": 0,
        "pending_links": 0,
        "passes_total": 0,
        "passes_pending": 0,
        "guests_expected": None,
    }


def test_the_summary_counts_answers_links_and_passes_and_forecasts(client, headers, invitation):
    # Answered guest links: 4 passes → 3 confirmed, 2 passes → declined. r = 3 / 6 = 0.5.
    answer(invitation, "Familia Muñoz", guests=3, link=guest_link(invitation, "Muñoz", 4))
    answer(invitation, "Los Pérez", status="declined", link=guest_link(invitation, "Pérez", 2))
    # Pending active guest links: 3 + 2 = 5 passes → 5 × 0.5 = 2.5 → 3 (half up).
    guest_link(invitation, "Tía Carmen", 3)
    guest_link(invitation, "Primos", 2)
    # An inactive link counts nowhere among the links; its answer still counts as an answer.
    answer(
        invitation,
        "Ex invitado",
        guests=2,
        link=guest_link(invitation, "Ex invitado", 6, active=False),
    )
    guest_link(invitation, "Otro ex invitado", 9, active=False)
    # Answers through the main or a custom code count, but not towards r.
    answer(invitation, "Amiga del trabajo", guests=2)
    guest_link(invitation, "boda-ana", 0, kind=KIND_CUSTOM)
    answer(invitation, "Vecino", status="declined")

    body = client.get(url(invitation, "/summary"), headers=headers).get_json()

    assert body == {
        "total": 5,
        "confirmed": 3,
        "declined": 2,
        "guests_confirmed": 7,
        "guest_links_total": 4,
        "guest_links_answered": 2,
        "pending_links": 2,
        "passes_total": 11,
        "passes_pending": 5,
        "guests_expected": 7 + 3,
    }


def test_the_forecast_rounds_half_up_with_exact_arithmetic():
    # 5 × 3 / 6 = 2.5 → 3 (round-half-even and float round() would give 2).
    assert expected_guests(10, 5, 3, 6) == 13
    # 3 × 1 / 2 = 1.5 → 2; 1 × 1 / 3 = 0.333… → 0; 2 × 1 / 3 = 0.666… → 1.
    assert expected_guests(0, 3, 1, 2) == 2
    assert expected_guests(4, 1, 1, 3) == 4
    assert expected_guests(4, 2, 1, 3) == 5
    # 11 × 15 / 22 = 7.5 exactly, where 11 × (15 / 22) in binary floating point is 7.4999….
    assert expected_guests(0, 11, 15, 22) == 8
    # Everything declined: nobody more is expected; nothing pending: the confirmed guests.
    assert expected_guests(6, 10, 0, 8) == 6
    assert expected_guests(6, 0, 5, 8) == 6
    # No answered guest link (or no passes among them): no basis for a forecast.
    assert expected_guests(6, 10, 0, 0) is None


def test_the_summary_forecast_is_null_until_a_guest_link_is_answered(client, headers, invitation):
    guest_link(invitation, "Pendiente", 4)
    answer(invitation, "Por el código", guests=2)

    body = client.get(url(invitation, "/summary"), headers=headers).get_json()

    assert (body["guests_confirmed"], body["passes_pending"], body["guests_expected"]) == (
        2,
        4,
        None,
    )


def test_the_summary_is_a_few_aggregate_statements_whatever_the_data(client, headers, make):
    small = create_draft(client, headers, make.template())["id"]
    large = create_draft(client, headers, make.template())["id"]
    answer(small, "Uno", link=guest_link(small, "Uno", 1))
    for index in range(50):
        link = guest_link(large, f"Pase {index}", 3)
        if index % 3:
            answer(large, f"Pase {index}", guests=index % 4, link=link)

    counts = {}
    for invitation_id in (small, large):
        with recorded_statements() as statements:
            response = client.get(url(invitation_id, "/summary"), headers=headers)
        assert response.status_code == 200
        counts[invitation_id] = len(statements)

    assert response.get_json()["guest_links_total"] == 50
    # The user, the invitation, two aggregates.
    assert counts[small] == counts[large] <= 4, counts


# --- Deleting an answer -------------------------------------------------------------------


def test_deleting_an_answer_removes_it_and_its_history_and_refreshes_its_link(
    client, headers, invitation
):
    link = guest_link(invitation, "Familia Muñoz", 4)
    response = answer(invitation, "Rosa", guests=2, link=link)
    change(response, status="declined", guests=1, at=START + timedelta(hours=1))
    kept = answer(invitation, "Luis")
    version = link.version
    response_id = response.id

    deleted = client.delete(url(invitation, f"/{response_id}"), headers=headers)

    assert deleted.status_code == 204
    assert deleted.data == b""
    assert db.session.get(InvitationResponse, response_id) is None
    assert (
        db.session.scalar(
            select(func.count(InvitationResponseChange.id)).where(
                InvitationResponseChange.response_id == response_id
            )
        )
        == 0
    )
    assert db.session.get(InvitationUrl, link.id).version == version + 1
    assert db.session.get(InvitationResponse, kept.id) is not None
    summary = client.get(url(invitation, "/summary"), headers=headers).get_json()
    assert (summary["guest_links_answered"], summary["passes_pending"]) == (0, 4)


def test_deleting_an_answer_through_the_main_code_touches_no_link(client, headers, invitation):
    response = answer(invitation, "Por el código")

    deleted = client.delete(url(invitation, f"/{response.id}"), headers=headers)

    assert deleted.status_code == 204
    assert db.session.scalar(select(func.count(InvitationResponse.id))) == 0


def test_an_answer_of_another_invitation_is_404_and_stays(client, headers, invitation, make):
    other = create_draft(client, headers, make.template())["id"]
    theirs = answer(other, "De la otra")

    for response in (
        client.delete(url(invitation, f"/{theirs.id}"), headers=headers),
        client.get(url(invitation, f"/{theirs.id}/history"), headers=headers),
        client.delete(url(invitation, "/999999"), headers=headers),
    ):
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"
    assert db.session.get(InvitationResponse, theirs.id) is not None


# --- History and activity -----------------------------------------------------------------


def test_history_lists_every_creation_and_change_oldest_first(client, headers, invitation):
    response = answer(invitation, "Rosa", guests=2, message="Vamos")
    change(response, status="declined", guests=1, at=START + timedelta(hours=2), message="Ya no")
    change(response, status="confirmed", guests=3, at=START + timedelta(hours=5))

    body = client.get(url(invitation, f"/{response.id}/history"), headers=headers).get_json()

    assert body == {
        "items": [
            {
                "change": "created",
                "status": "confirmed",
                "number_of_guests": 2,
                "guest_name": "Rosa",
                "message": "Vamos",
                "from_status": None,
                "from_number_of_guests": None,
                "changed_at": "2026-12-01T15:00:00+00:00",
            },
            {
                "change": "changed",
                "status": "declined",
                "number_of_guests": 1,
                "guest_name": "Rosa",
                "message": "Ya no",
                "from_status": "confirmed",
                "from_number_of_guests": 2,
                "changed_at": "2026-12-01T17:00:00+00:00",
            },
            {
                "change": "changed",
                "status": "confirmed",
                "number_of_guests": 3,
                "guest_name": "Rosa",
                "message": "Ya no",
                "from_status": "declined",
                "from_number_of_guests": 1,
                "changed_at": "2026-12-01T20:00:00+00:00",
            },
        ]
    }


def test_activity_is_the_feed_of_every_change_newest_first(client, headers, invitation, make):
    rosa = answer(invitation, "Rosa", guests=2, at=START)
    answer(invitation, "Luis", status="declined", at=START + timedelta(hours=1))
    change(rosa, status="confirmed", guests=4, at=START + timedelta(hours=2))
    answer(create_draft(client, headers, make.template())["id"], "De otra invitación")

    body = client.get(url(invitation, "/activity"), headers=headers).get_json()

    assert (body["total"], body["pages"]) == (3, 1)
    assert body["items"] == [
        {
            "response_id": rosa.id,
            "guest_name": "Rosa",
            "change": "changed",
            "from": {"status": "confirmed", "number_of_guests": 2},
            "to": {"status": "confirmed", "number_of_guests": 4},
            "at": "2026-12-01T17:00:00+00:00",
        },
        {
            "response_id": body["items"][1]["response_id"],
            "guest_name": "Luis",
            "change": "created",
            "from": None,
            "to": {"status": "declined", "number_of_guests": 1},
            "at": "2026-12-01T16:00:00+00:00",
        },
        {
            "response_id": rosa.id,
            "guest_name": "Rosa",
            "change": "created",
            "from": None,
            "to": {"status": "confirmed", "number_of_guests": 2},
            "at": "2026-12-01T15:00:00+00:00",
        },
    ]


def test_activity_ties_on_the_same_instant_go_by_id_and_pages(client, headers, invitation):
    first = answer(invitation, "Primero", at=START)
    second = answer(invitation, "Segundo", at=START)

    page_one = client.get(url(invitation, "/activity?per_page=1"), headers=headers).get_json()
    page_two = client.get(url(invitation, "/activity?per_page=1&page=2"), headers=headers)

    assert (page_one["total"], page_one["pages"]) == (2, 2)
    assert page_one["items"][0]["response_id"] == second.id
    assert page_two.get_json()["items"][0]["response_id"] == first.id


@pytest.mark.parametrize(
    "since",
    [
        "2026-12-01T16:00:00Z",
        "2026-12-01T16:00:00",  # no offset: UTC
        "2026-12-01T11:00:00-05:00",  # the same instant in Lima
    ],
)
def test_activity_since_keeps_what_happened_after_that_instant(client, headers, invitation, since):
    answer(invitation, "Antes", at=START)
    answer(invitation, "Justo", at=START + timedelta(hours=1))
    answer(invitation, "Después", at=START + timedelta(hours=1, microseconds=1))

    response = client.get(
        url(invitation, "/activity"), query_string={"since": since}, headers=headers
    )

    assert response.status_code == 200, response.get_json()
    assert [item["guest_name"] for item in response.get_json()["items"]] == ["Después"]


@pytest.mark.parametrize(
    "since",
    ["ayer", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"],
)
def test_activity_since_must_be_an_iso_datetime(client, headers, invitation, since):
    response = client.get(
        url(invitation, "/activity"), query_string={"since": since}, headers=headers
    )

    assert response.status_code == 422
    assert "since" in response.get_json()["details"]


def test_activity_runs_the_same_statements_for_1_or_50_changes(client, headers, make):
    small = create_draft(client, headers, make.template())["id"]
    large = create_draft(client, headers, make.template())["id"]
    answer(small, "Uno")
    for index in range(25):
        response = answer(large, f"Invitado {index}", at=START + timedelta(minutes=index))
        change(response, status="declined", guests=1, at=START + timedelta(hours=1, minutes=index))

    counts = {}
    for invitation_id in (small, large):
        with recorded_statements() as statements:
            response = client.get(url(invitation_id, "/activity?per_page=100"), headers=headers)
        assert response.status_code == 200
        counts[invitation_id] = len(statements)

    assert len(response.get_json()["items"]) == 50
    assert counts[small] == counts[large] <= 3, counts


# --- Who sees it --------------------------------------------------------------------------

DASHBOARD_ROUTES = [
    ("GET", ""),
    ("GET", "/summary"),
    ("GET", "/activity"),
    ("GET", "/export"),
    ("GET", "/export?format=xlsx"),
    ("GET", "/{response_id}/history"),
    ("DELETE", "/{response_id}"),
]


@pytest.mark.parametrize(("method", "suffix"), DASHBOARD_ROUTES)
def test_another_users_invitation_is_404_on_every_route(
    client, headers, invitation, make, auth_headers, method, suffix
):
    response = answer(invitation, "Rosa")
    path = url(invitation, suffix.format(response_id=response.id))

    refused = client.open(path, method=method, headers=stranger_headers(make, auth_headers))

    assert refused.status_code == 404
    assert refused.mimetype == "application/json"
    assert refused.get_json()["error"] == "not_found"
    assert db.session.get(InvitationResponse, response.id) is not None


@pytest.mark.parametrize(("method", "suffix"), DASHBOARD_ROUTES)
def test_every_route_needs_a_token(client, invitation, method, suffix):
    response = client.open(url(invitation, suffix.format(response_id=1)), method=method)

    assert response.status_code == 401


@pytest.mark.parametrize(("method", "suffix"), DASHBOARD_ROUTES)
def test_a_deleted_invitation_is_404_on_every_route(client, headers, invitation, method, suffix):
    response = answer(invitation, "Rosa")
    assert client.delete(f"/api/invitations/{invitation}", headers=headers).status_code == 204

    refused = client.open(
        url(invitation, suffix.format(response_id=response.id)), method=method, headers=headers
    )

    assert refused.status_code == 404
    assert refused.get_json()["error"] == "not_found"


def test_the_owner_still_sees_everything_after_online_until_and_unpublish(client, headers):
    invitation_id = paid_invitation(client, headers)["id"]
    stored = db.session.get(Invitation, invitation_id)
    stored.published_at = datetime.now(UTC) - timedelta(days=400)
    stored.is_published = False
    db.session.commit()
    assert stored.online_until < datetime.now(UTC)
    response = answer(invitation_id, "Rosa", guests=2)

    for suffix in ("", "/summary", "/activity", f"/{response.id}/history", "/export"):
        # Buffered: the test client would otherwise read a download outside the request.
        seen = client.get(url(invitation_id, suffix), headers=headers, buffered=True)
        assert seen.status_code == 200, (suffix, seen.data[:200])
    summary = client.get(url(invitation_id, "/summary"), headers=headers).get_json()
    assert summary["guests_confirmed"] == 2
