"""Hostile or absurd input is a 4xx in the contract's shape, never a 500 or a traceback."""

import io
import logging
import re
import threading
from datetime import date

import pytest
from sqlalchemy import create_engine, event, text, update

from app import create_app
from extensions import db
from models.invitation_data import InvitationData
from tests.guest_fixtures import published_invitation

DEEP_JSON = "[" * 10_000 + "]" * 10_000
DEEP_OBJECT = '{"a":' * 10_000 + "1" + "}" * 10_000
HUGE_INTEGER = '{"plan_id": ' + "9" * 5_000 + "}"
BEYOND_64_BITS = '{"page": 99999999999999999999, "quantity": -99999999999999999999}'
NOT_JSON_CONSTANTS = '{"amount": NaN, "other": Infinity}'
HUGE_FLOATS = '{"config": {"a": 4.3e260, "b": 1e999}}'
HOSTILE_BODIES = [
    DEEP_JSON,
    DEEP_OBJECT,
    HUGE_INTEGER,
    BEYOND_64_BITS,
    NOT_JSON_CONSTANTS,
    HUGE_FLOATS,
]


def json_routes(app):
    """(method, path) of every route that takes a body, with its path arguments filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            path = re.sub(r"<int:[^>]+>", "1", rule.rule)
            path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "ORD-20261202-ABCDEF", path)
            routes.append((method, path))
    assert len(routes) > 20, "the route walk found too few routes to be meaningful"
    return routes


@pytest.fixture
def admin_headers(make, auth_headers):
    return auth_headers(make.user(role="admin", email="root@example.com"))


def assert_client_error_without_traceback(response, caplog):
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) >= {"error", "message"}
    tracebacks = [record for record in caplog.records if record.exc_info]
    assert tracebacks == [], tracebacks[0].getMessage()
    assert all(record.levelno < logging.ERROR for record in caplog.records)


@pytest.mark.parametrize(
    "body",
    HOSTILE_BODIES,
    ids=["deep-array", "deep-object", "huge-int", "beyond-64-bits", "nan", "huge-float"],
)
def test_every_json_route_answers_hostile_json_with_a_client_error(
    shop_app, shop, admin_headers, caplog, body
):
    for method, path in json_routes(shop_app):
        caplog.clear()
        response = shop.open(
            path, method=method, data=body, content_type="application/json", headers=admin_headers
        )
        assert_client_error_without_traceback(response, caplog)


def test_hostile_json_is_a_400_naming_the_problem(client):
    deep = client.post("/api/auth/login", data=DEEP_JSON, content_type="application/json")
    assert deep.status_code == 400
    assert deep.get_json()["error"] == "bad_request"
    assert "nested" in deep.get_json()["message"]

    huge = client.post("/api/cart/summary", data=HUGE_INTEGER, content_type="application/json")
    assert huge.status_code == 400
    assert "64 bits" in huge.get_json()["message"]


def test_ordinary_nesting_and_numbers_still_work(client, make):
    plan, template = make.plan(), make.template()
    cart = {"items": [{"plan_id": plan.id, "template_id": template.id, "quantity": 2}]}
    response = client.post("/api/cart/summary", json=cart)
    assert response.status_code == 200
    assert response.get_json()["total"] == "298.00"


@pytest.mark.parametrize(
    "path",
    [
        "/api/plans/99999999999999999999",
        "/api/templates/18446744073709551616",
        "/api/admin/users/9223372036854775808",
        "/api/admin/plans/" + "9" * 400,
    ],
)
def test_path_ids_beyond_64_bits_are_not_found(client, admin_headers, caplog, path):
    response = client.get(path, headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert_client_error_without_traceback(response, caplog)


def text_argument_routes(app):
    """(method, path template) of every route with a text or path argument, ids filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not re.search(r"<(?!int:)[^>]+>", rule.rule):
            continue
        path = re.sub(r"<int:[^>]+>", "1", rule.rule)
        path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    assert len(routes) >= 8, "the route walk found too few routes to be meaningful"
    return routes


@pytest.mark.parametrize(
    "value", ["x" * 5000, "x" * 300, "é" * 200, "x" * 96], ids=["5000", "300", "200-accents", "96"]
)
def test_every_text_path_argument_past_its_bound_is_a_json_404(
    app, client, admin_headers, media_root, caplog, value
):
    headers = {**admin_headers, "Idempotency-Key": "clave-1"}
    for method, path in text_argument_routes(app):
        response = client.open(path.format(value), method=method, headers=headers, json={})

        assert response.status_code == 404, (method, path)
        assert response.get_json()["error"] == "not_found"
        assert_client_error_without_traceback(response, caplog)


def test_the_largest_64_bit_id_is_a_plain_not_found(client):
    response = client.get("/api/plans/9223372036854775807")
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/api/admin/orders", "/api/admin/stats"])
@pytest.mark.parametrize(
    "query",
    ["date_to=9999-12-31", "date_from=0001-01-01&date_to=9999-12-31", "date_from=9999-12-31"],
)
def test_admin_date_filters_at_the_ends_of_the_calendar_are_fine(
    client, admin_headers, caplog, path, query
):
    response = client.get(f"{path}?{query}", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert not any(record.exc_info for record in caplog.records)


# --- Old bug classes: huge numbers in files, far dates, empty ETags ---------------------


def test_a_huge_number_in_the_guest_csv_is_a_422_naming_the_row(client, headers, caplog):
    invitation = published_invitation(client, headers)
    csv = "guest_name,max_guests\nFamilia Pérez," + "9" * 5_000 + "\nTía Carmen,2\n"

    response = client.post(
        f"/api/invitations/{invitation['id']}/urls/import",
        data={"file": (io.BytesIO(csv.encode()), "invitados.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )

    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "max_guests" in str(response.get_json()["details"])
    assert_client_error_without_traceback(response, caplog)


@pytest.mark.parametrize(
    "if_match", ['""', '"v1", ""', '*, ""', 'W/""', '"', ",", '"v' + "9" * 40 + '"', "W/"]
)
def test_if_match_that_names_no_version_is_a_412_json(client, headers, caplog, if_match):
    invitation = published_invitation(client, headers)

    response = client.patch(
        f"/api/editor/{invitation['id']}/data",
        json={"subtitle": "Nos casamos"},
        headers={**headers, "If-Match": if_match},
    )

    assert response.status_code == 412, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"] == "precondition_failed"
    assert_client_error_without_traceback(response, caplog)


@pytest.mark.parametrize("value", ['""', 'W/""', '*, ""', '"', ",", "W/", "x" * 4_000])
def test_hostile_if_none_match_still_serves_the_page(client, headers, caplog, value):
    invitation = published_invitation(client, headers)

    response = client.get(
        f"/api/public/invitations/{invitation['main_code']}", headers={"If-None-Match": value}
    )

    assert response.status_code == 200
    assert not any(record.exc_info for record in caplog.records)


@pytest.mark.parametrize("key", ["", "\t", "clave\x7f", "é" * 3, "k" * 256])
def test_an_idempotency_key_that_is_not_printable_ascii_is_a_422(client, headers, caplog, key):
    invitation = published_invitation(client, headers)

    response = client.post(
        f"/api/public/invitations/{invitation['main_code']}/rsvp",
        json={"guest_name": "Rosa", "status": "declined", "number_of_guests": 0},
        headers={"Idempotency-Key": key},
    )

    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert list(response.get_json()["details"]) == ["Idempotency-Key"]
    assert_client_error_without_traceback(response, caplog)


FAR_DATES = ["9999-12-31T23:00:00Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00",
             "1999-12-31T23:59:59Z", "2200-01-01T00:00:00Z"]  # fmt: skip


def stored_date_cases(invitation_id: int) -> list[tuple[str, str, dict, str]]:
    """(method, path, body, field) of every date a client stores, with `{}` for the date."""
    editor = f"/api/editor/{invitation_id}"
    coupon = {"code": "FAR", "discount_type": "percentage", "discount_value": "10"}
    return [
        ("PATCH", f"{editor}/data", {"event_date": "{}"}, "event_date"),
        ("PATCH", f"{editor}/data", {"rsvp_deadline": "{day}"}, "rsvp_deadline"),
        ("POST", f"{editor}/events", {"event_type": "ceremonia", "title": "Misa",
                                      "starts_at": "{}"}, "starts_at"),
        ("POST", f"{editor}/events", {"event_type": "ceremonia", "title": "Misa",
                                      "ends_at": "{}"}, "ends_at"),
        ("POST", "/api/admin/coupons", {**coupon, "valid_from": "{}"}, "valid_from"),
        ("POST", "/api/admin/coupons", {**coupon, "valid_until": "{}"}, "valid_until"),
    ]  # fmt: skip


def test_dates_far_from_now_are_a_422_wherever_a_client_stores_one(
    client, headers, admin_headers, caplog
):
    invitation = published_invitation(client, headers)
    wrong = []
    for method, path, body, field in stored_date_cases(invitation["id"]):
        for moment in FAR_DATES:
            sent = {name: value.replace("{day}", moment[:10]).replace("{}", moment)
                    for name, value in body.items()}  # fmt: skip
            who = admin_headers if path.startswith("/api/admin") else headers
            caplog.clear()
            response = client.open(path, method=method, json=sent, headers=who)
            details = (response.get_json() or {}).get("details", {})
            if response.status_code != 422 or field not in details:
                wrong.append(f"{method} {path} {field}={sent[field]}: {response.status_code}")
                continue
            assert_client_error_without_traceback(response, caplog)
    assert wrong == []


@pytest.mark.parametrize("online_days", [10**15, 3_000_000, 100_001, -1])
def test_a_plan_feature_number_out_of_range_is_a_422(client, admin_headers, caplog, online_days):
    plan = {"name": "Eterno", "slug": "eterno", "price": "10.00"}

    response = client.post(
        "/api/admin/plans",
        json={**plan, "features": {"online_days": online_days}},
        headers=admin_headers,
    )

    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert list(response.get_json()["details"]) == ["features"]
    assert_client_error_without_traceback(response, caplog)


def test_the_first_and_last_days_allowed_are_accepted(client, headers):
    invitation = published_invitation(client, headers)
    for event_date, deadline in (("2000-01-01T05:00:00Z", "2000-01-01"),
                                 ("2199-12-31T23:59:59Z", "2199-12-31")):  # fmt: skip
        response = client.patch(
            f"/api/editor/{invitation['id']}/data",
            json={"event_date": event_date, "rsvp_deadline": deadline},
            headers=headers,
        )
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["rsvp_deadline"] == deadline


def test_a_far_deadline_saved_before_the_bound_still_serves_the_page(client, headers, caplog):
    invitation = published_invitation(client, headers)
    db.session.execute(
        update(InvitationData)
        .where(InvitationData.invitation_id == invitation["id"])
        .values(rsvp_deadline=date.max)
    )
    db.session.commit()

    response = client.get(f"/api/public/invitations/{invitation['main_code']}")

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["rsvp"]["deadline"] == "9999-12-31"


# --- A database that goes away in the middle of a request -------------------------------


@pytest.fixture
def fragile_app(database_url):
    """A second app on the test database whose SQLite waits only briefly for a lock."""
    overrides = {"SQLALCHEMY_DATABASE_URI": database_url}
    if database_url.startswith("sqlite"):
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 0.2}}
    app = create_app("testing", overrides)
    yield app
    with app.app_context():
        db.engine.dispose()


def cut_connection_at_first_select(app, database_url):
    """Make the next SELECT the app runs lose its connection, as a database restart would.

    MariaDB: another session KILLs the request's connection just before the statement.
    SQLite: another connection holds the write lock, so the request's write fails with
    "database is locked" (SQLite's form of an unavailable database).
    """
    with app.app_context():
        engine = db.engine
    if database_url.startswith("sqlite"):
        blocker = create_engine(database_url).connect()
        blocker.exec_driver_sql("BEGIN EXCLUSIVE")
        return blocker.close

    killer = create_engine(database_url)
    armed = threading.Event()
    armed.set()

    @event.listens_for(engine, "before_cursor_execute")
    def kill_own_connection(conn, cursor, statement, parameters, context, executemany):
        if armed.is_set() and statement.lstrip().upper().startswith("SELECT"):
            armed.clear()
            thread_id = conn.connection.dbapi_connection.thread_id()
            with killer.connect() as other:
                other.execute(text(f"KILL {int(thread_id)}"))

    def restore():
        event.remove(engine, "before_cursor_execute", kill_own_connection)
        killer.dispose()

    return restore


def test_a_database_lost_mid_request_answers_503_json(fragile_app, database_url, caplog):
    restore = cut_connection_at_first_select(fragile_app, database_url)
    try:
        response = fragile_app.test_client().post(
            "/api/auth/register",
            json={
                "email": "nueva@example.com",
                "password": "secreto123",
                "first_name": "Ana",
                "last_name": "Quispe",
            },
        )
    finally:
        restore()
    assert response.status_code == 503
    assert response.content_type == "application/json"
    assert response.get_json()["error"] == "service_unavailable"
    assert not any(record.exc_info for record in caplog.records)

    after = fragile_app.test_client().get("/health")
    assert after.status_code == 200, "the pool recovers once the database is back"


# --- Control characters in text ----------------------------------------------------------

LINE_BREAKS_AND_CONTROLS = ["\n", "\r\n", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]


def single_line_cases(invitation_id: int, code: str) -> list[tuple[str, str, dict, str]]:
    """(method, path, body with `{}` where the hostile text goes, field) of single-line fields
    across the API: titles, names, slugs, captions' kin, phones, e-mails, URLs, queries."""
    editor = f"/api/editor/{invitation_id}"
    rsvp = f"/api/public/invitations/{code}/rsvp"
    person = {"email": "a@b.pe", "password": "secreto123", "last_name": "Q"}
    guest = {"guest_name": "Rosa", "status": "declined", "number_of_guests": 0}
    return [
        ("POST", "/api/auth/register", {**person, "first_name": "Ana{}"}, "first_name"),
        ("POST", "/api/auth/register", {**person, "first_name": "Ana", "email": "a@b.pe{}"},
         "email"),
        ("PATCH", f"/api/invitations/{invitation_id}", {"title": "Boda{}Bcc: x"}, "title"),
        ("PATCH", f"{editor}/data", {"couple_bride_name": "Ana{}"}, "couple_bride_name"),
        ("PATCH", f"{editor}/data", {"subtitle": "{}"}, "subtitle"),
        ("PATCH", f"{editor}/data", {"ceremony_map_url": "https://maps.pe/a{}b"},
         "ceremony_map_url"),
        ("PATCH", f"{editor}/data", {"contact_phone": "987{}654321"}, "contact_phone"),
        ("POST", f"{editor}/events", {"event_type": "ceremonia", "title": "Misa{}"}, "title"),
        ("POST", f"/api/invitations/{invitation_id}/urls",
         {"kind": "guest", "guest_name": "Familia{}Pérez", "max_guests": 2}, "guest_name"),
        ("POST", f"/api/invitations/{invitation_id}/urls",
         {"kind": "custom", "slug": "ana-y-luis{}"}, "slug"),
        ("POST", rsvp, {**guest, "guest_name": "Rosa{}Díaz"}, "guest_name"),
        ("POST", rsvp, {**guest, "phone": "987654321{}"}, "phone"),
        ("POST", rsvp, {**guest, "email": "rosa@example.com{}"}, "email"),
        ("POST", "/api/testimonials", {"message": "Todo salió muy bien.", "rating": 5,
                                       "author_name": "Ana{}Q."}, "author_name"),
    ]  # fmt: skip


def test_control_characters_in_single_line_fields_are_a_422_naming_the_field(
    client, headers, caplog
):
    invitation = published_invitation(client, headers)
    wrong = []
    for method, path, body, field in single_line_cases(invitation["id"], invitation["main_code"]):
        for char in LINE_BREAKS_AND_CONTROLS:
            sent = {name: value.replace("{}", char) if isinstance(value, str) else value
                    for name, value in body.items()}  # fmt: skip
            caplog.clear()
            response = client.open(path, method=method, json=sent, headers=headers)
            answer = response.get_json() or {}
            if response.status_code != 422 or field not in answer.get("details", {}):
                wrong.append(f"{method} {path} {field}={sent[field]!r}: {response.status_code}")
                continue
            assert_client_error_without_traceback(response, caplog)
    assert wrong == []


def test_multi_line_fields_keep_line_breaks_as_newlines_and_refuse_other_controls(client, headers):
    invitation = published_invitation(client, headers)
    data = f"/api/editor/{invitation['id']}/data"

    saved = client.patch(
        data, json={"welcome_message": "Hola\r\nfamilia\u2028y amigos\rfin"}, headers=headers
    )
    answer = client.post(
        f"/api/public/invitations/{invitation['main_code']}/rsvp",
        json={"guest_name": "Rosa", "status": "declined", "number_of_guests": 0,
              "message": "Gracias\r\n¡Felicidades!"},
    )  # fmt: skip

    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["welcome_message"] == "Hola\nfamilia\ny amigos\nfin"
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["message"] == "Gracias\n¡Felicidades!"
    for char in ("\t", "\x00", "\x0b", "\x1b", "\x7f", "\x9b"):
        refused = client.patch(data, json={"welcome_message": f"Hola{char}"}, headers=headers)
        assert refused.status_code == 422, repr(char)
        assert list(refused.get_json()["details"]) == ["welcome_message"]
