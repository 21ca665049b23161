"""The public Libro de Reclamaciones: filing (validation, codes, due date, copy by e-mail),
the rate limit, and tracking by code and e-mail."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models.claim import Claim
from models.claim_sequence import ClaimSequence
from models.order import Order
from services import claims as claim_service
from utils.business_days import add_business_days
from utils.time import lima_date

CLAIM = {
    "claim_type": "reclamo",
    "full_name": "Rosa Huamán Quispe",
    "document_type": "DNI",
    "document_number": "45678912",
    "address": "Av. Arequipa 1234, Lince, Lima",
    "email": "Rosa.Huaman@Example.com",
    "phone": "987 654 321",
    "item_type": "servicio",
    "item_description": "Invitación digital plan Exclusive",
    "amount": "249.00",
    "detail": "La música de la invitación no suena en el celular de mis invitados.",
    "consumer_request": "Que lo arreglen o me devuelvan el dinero.",
}


def file(client, headers=None, **changes):
    body = {**CLAIM, **changes}
    body = {name: value for name, value in body.items() if value is not ...}
    return client.post("/api/claims", json=body, headers=headers or {})


def stored(code: str) -> Claim:
    db.session.rollback()
    return db.session.scalar(select(Claim).where(Claim.code == code))


def order_of(user, number: str = "ORD-20261201-ABC234") -> Order:
    order = Order(
        order_number=number, user_id=user.id, subtotal=Decimal("249.00"), total=Decimal("249.00")
    )
    db.session.add(order)
    db.session.commit()
    return order


# --- Filing --------------------------------------------------------------------------------


def test_filing_answers_the_code_status_and_due_date(client):
    response = file(client)

    assert response.status_code == 201
    body = response.get_json()
    today = lima_date()
    assert body["code"] == f"LR-{today.year}-000001"
    assert body["status"] == "pending"
    assert body["response_due_date"] == add_business_days(today, 15).isoformat()
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert set(body) == {"code", "status", "response_due_date", "created_at"}


def test_codes_follow_each_other_within_the_year(client):
    codes = [file(client).get_json()["code"] for _ in range(3)]

    year = lima_date().year
    assert codes == [f"LR-{year}-00000{n}" for n in (1, 2, 3)]


def test_what_was_filed_is_stored_as_the_law_asks(client):
    code = file(client, document_type="PASAPORTE", document_number="ab123456").get_json()["code"]

    claim = stored(code)
    assert claim.email == "rosa.huaman@example.com"
    assert claim.document_number == "AB123456"
    assert claim.phone == "987654321"
    assert claim.amount == Decimal("249.00")
    assert claim.user_id is None and claim.order_id is None
    assert claim.is_minor is False and claim.guardian_name is None
    assert claim.response is None and claim.responded_at is None


def test_the_code_takes_the_year_of_the_filing_date_in_lima(client, monkeypatch):
    # 03:00 UTC on New Year's Day is still 31 December in Lima (UTC-5).
    monkeypatch.setattr(claim_service, "utcnow", lambda: datetime(2027, 1, 1, 3, 0, tzinfo=UTC))
    late = file(client).get_json()
    monkeypatch.setattr(claim_service, "utcnow", lambda: datetime(2027, 1, 1, 6, 0, tzinfo=UTC))
    first_of_year = file(client).get_json()

    assert late["code"] == "LR-2026-000001"
    # Filed 31 Dec 2026: 1 January is a holiday, so the 15 business days end on 22 January.
    assert late["response_due_date"] == "2027-01-22"
    assert first_of_year["code"] == "LR-2027-000001"
    assert first_of_year["response_due_date"] == "2027-01-22"
    db.session.rollback()
    assert {row.year: row.last_number for row in db.session.scalars(select(ClaimSequence))} == {
        2026: 1,
        2027: 1,
    }


def test_every_bad_field_is_reported_at_once(client):
    response = file(
        client,
        claim_type="sugerencia",
        document_number="1234567",
        email="no-es-un-correo",
        is_minor=True,
        amount="12.345",
        detail="   ",
        address=...,
        status="answered",
    )

    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_error"
    assert set(body["details"]) == {
        "claim_type",
        "document_number",
        "email",
        "guardian_name",
        "amount",
        "detail",
        "address",
        "status",
    }


@pytest.mark.parametrize(
    ("document_type", "number", "ok"),
    [
        ("DNI", "45678912", True),
        ("DNI", "4567891", False),
        ("DNI", "4567891A", False),
        ("RUC", "20123456789", True),
        ("RUC", "10456789123", True),
        ("RUC", "30123456789", False),
        ("RUC", "2012345678", False),
        ("CE", "001234567", True),
        ("CE", "X12345678901", True),
        ("CE", "00123456", False),
        ("PASAPORTE", "AB1234", True),
        ("PASAPORTE", "AB123", False),
        ("PASAPORTE", "AB12345678901", False),
        ("PASAPORTE", "AB-1234", False),
    ],
)
def test_document_numbers_follow_their_type(client, document_type, number, ok):
    response = file(client, document_type=document_type, document_number=number)

    assert response.status_code == (201 if ok else 422), response.get_json()
    if not ok:
        assert list(response.get_json()["details"]) == ["document_number"]


def test_a_minor_names_a_guardian_who_is_stored(client):
    code = file(client, is_minor=True, guardian_name="  Juana Quispe ").get_json()["code"]

    claim = stored(code)
    assert claim.is_minor is True
    assert claim.guardian_name == "Juana Quispe"


def test_a_guardian_without_a_minor_is_dropped(client):
    code = file(client, guardian_name="Juana Quispe").get_json()["code"]

    assert stored(code).guardian_name is None


@pytest.mark.parametrize(
    ("phone", "kept"),
    [
        ("(01) 234-5678", "012345678"),
        ("+51 987-654-321", "+51987654321"),
        (None, None),
    ],
)
def test_phones_are_optional_landlines_or_mobiles_kept_as_digits(client, phone, kept):
    code = file(client, phone=phone).get_json()["code"]

    assert stored(code).phone == kept


@pytest.mark.parametrize("phone", ["12345", "987 654 321 ext 2", "+" + "1" * 21])
def test_a_phone_needs_6_to_20_digits(client, phone):
    response = file(client, phone=phone)

    assert response.status_code == 422
    assert list(response.get_json()["details"]) == ["phone"]


@pytest.mark.parametrize(("amount", "ok"), [(None, True), (0, True), (149.9, True), (-1, False)])
def test_the_amount_is_optional_and_never_negative(client, amount, ok):
    assert file(client, amount=amount).status_code == (201 if ok else 422)


def test_a_signed_in_filer_is_linked_and_may_name_their_order(client, make, auth_headers):
    user = make.user()
    order = order_of(user)

    response = file(client, auth_headers(user), order_number=order.order_number.lower())

    assert response.status_code == 201
    claim = stored(response.get_json()["code"])
    assert (claim.user_id, claim.order_id) == (user.id, order.id)


def test_another_users_order_is_refused(client, make, auth_headers):
    order = order_of(make.user())

    response = file(client, auth_headers(make.user()), order_number=order.order_number)

    assert response.status_code == 422
    assert list(response.get_json()["details"]) == ["order_number"]
    db.session.rollback()
    assert db.session.scalar(select(Claim)) is None


def test_an_order_number_needs_a_signed_in_filer(client, make):
    order = order_of(make.user())

    response = file(client, order_number=order.order_number)

    assert response.status_code == 422
    assert list(response.get_json()["details"]) == ["order_number"]


def test_a_refused_filing_uses_no_number(client, make):
    order = order_of(make.user())
    file(client, order_number=order.order_number)

    assert file(client).get_json()["code"].endswith("-000001")


def test_an_invalid_token_is_refused_even_though_a_token_is_optional(client):
    response = file(client, {"Authorization": "Bearer nonsense"})

    assert response.status_code == 401


def test_filing_is_limited_per_ip(new_app):
    app = new_app(RATELIMIT_ENABLED=True, RATELIMIT_CLAIMS="2 per hour")
    client = app.test_client()

    statuses = [file(client).status_code for _ in range(3)]

    assert statuses == [201, 201, 429]
    refused = file(client)
    assert refused.get_json()["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0


def test_the_filer_gets_a_copy_by_email(new_app, smtp_server):
    app = new_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)

    body = file(app.test_client(), is_minor=True, guardian_name="Juana Quispe").get_json()

    [(_, recipients, message)] = smtp_server.messages
    assert recipients == ["rosa.huaman@example.com"]
    assert message["Subject"] == f"Libro de Reclamaciones: reclamo {body['code']}"
    text = message.get_content()
    due = date.fromisoformat(body["response_due_date"])
    assert body["code"] in text
    assert f"a más tardar el {due.day} de " in text
    assert "(15 días hábiles)" in text
    assert "Documento: DNI 45678912" in text
    assert "Monto reclamado: S/ 249.00" in text
    assert "padre, madre o apoderado: Juana Quispe" in text
    assert CLAIM["detail"] in text and CLAIM["consumer_request"] in text


def test_no_email_when_the_filing_is_refused(new_app, smtp_server):
    app = new_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)

    assert file(app.test_client(), document_number="1").status_code == 422
    assert smtp_server.messages == []


# --- Tracking ------------------------------------------------------------------------------


def test_the_filer_follows_the_claim_with_code_and_email(client):
    filed = file(client).get_json()

    response = client.get(f"/api/claims/{filed['code']}?email=ROSA.huaman@example.com")

    assert response.status_code == 200
    assert response.get_json() == {
        **filed,
        "response": None,
        "responded_at": None,
    }


def test_the_answer_shows_once_given(client, make, auth_headers):
    filed = file(client).get_json()
    claim_id = stored(filed["code"]).id
    admin = make.user(role="admin")
    client.post(
        f"/api/admin/claims/{claim_id}/respond",
        json={"response": "Corregimos la música; ya suena."},
        headers=auth_headers(admin),
    )

    body = client.get(f"/api/claims/{filed['code']}?email={CLAIM['email']}").get_json()

    assert body["status"] == "answered"
    assert body["response"] == "Corregimos la música; ya suena."
    assert datetime.fromisoformat(body["responded_at"]).tzinfo is not None


@pytest.mark.parametrize(
    "query",
    ["?email=otra@example.com", "", "?email=", "UNKNOWN"],
    ids=["another e-mail", "no e-mail", "empty e-mail", "unknown code"],
)
def test_anything_but_the_right_code_and_email_is_the_same_404(client, query):
    code = file(client).get_json()["code"]
    path = (
        f"/api/claims/LR-2000-000001?email={CLAIM['email']}"
        if query == "UNKNOWN"
        else f"/api/claims/{code}{query}"
    )

    response = client.get(path)

    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": "Claim not found."}


# --- Lookup limits -------------------------------------------------------------------------


def look_up(client, code, email=CLAIM["email"], ip="10.0.0.1"):
    return client.get(
        f"/api/claims/{code}", query_string={"email": email}, environ_base={"REMOTE_ADDR": ip}
    )


def test_walking_codes_from_one_address_is_throttled(new_app, client, limiter_storage):
    code = file(client).get_json()["code"]
    year = code.split("-")[1]
    limited = new_app(**limiter_storage, RATELIMIT_CLAIM_LOOKUP_IP="3 per hour").test_client()

    walk = [look_up(limited, f"LR-{year}-{n:06d}").status_code for n in range(2, 5)]
    refused = look_up(limited, code)

    assert walk == [404, 404, 404]
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    assert look_up(limited, code, ip="10.0.0.2").status_code == 200


def test_wrong_emails_for_one_code_are_throttled_whatever_the_address(
    new_app, client, limiter_storage
):
    code = file(client).get_json()["code"]
    other = file(client).get_json()["code"]
    limited = new_app(**limiter_storage, RATELIMIT_CLAIM_LOOKUP="3 per hour").test_client()

    guesses = [
        look_up(limited, spelling, email=f"quizas{n}@example.com", ip=f"10.0.1.{n}").status_code
        for n, spelling in enumerate([code, code.lower(), f" {code.capitalize()} "])
    ]

    assert guesses == [404, 404, 404]
    assert look_up(limited, code, ip="10.0.2.1").status_code == 429
    assert look_up(limited, other, ip="10.0.2.1").status_code == 200
