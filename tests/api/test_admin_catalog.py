"""Admin management of templates, plans and coupons."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models.coupon import Coupon
from models.plan import Plan
from models.template import Template
from tests.commerce_fixtures import checkout, fresh, line
from utils.time import utcnow

D = Decimal

ADMIN_ROUTES = [
    ("get", "/api/admin/templates"),
    ("post", "/api/admin/templates"),
    ("get", "/api/admin/templates/1"),
    ("patch", "/api/admin/templates/1"),
    ("delete", "/api/admin/templates/1"),
    ("get", "/api/admin/plans"),
    ("post", "/api/admin/plans"),
    ("get", "/api/admin/plans/1"),
    ("patch", "/api/admin/plans/1"),
    ("delete", "/api/admin/plans/1"),
    ("get", "/api/admin/coupons"),
    ("post", "/api/admin/coupons"),
    ("get", "/api/admin/coupons/1"),
    ("patch", "/api/admin/coupons/1"),
    ("delete", "/api/admin/coupons/1"),
    ("get", "/api/admin/coupons/1/usages"),
]


@pytest.fixture
def admin_headers(make, auth_headers):
    return auth_headers(make.user(role="admin"))


@pytest.mark.parametrize("method, path", ADMIN_ROUTES)
def test_admin_routes_are_403_for_customers_and_401_for_anonymous(
    client, make, auth_headers, method, path
):
    customer = auth_headers(make.user())

    as_customer = getattr(client, method)(path, headers=customer, json={})
    anonymous = getattr(client, method)(path, json={})

    assert as_customer.status_code == 403
    assert as_customer.get_json()["error"] == "forbidden"
    assert anonymous.status_code == 401


# --- Templates -----------------------------------------------------------------------------

TEMPLATE = {
    "name": "Brisa Marina",
    "slug": "brisa-marina",
    "category": "boda",
    "description": "Azules y arena.",
    "price": 25,
    "preview_url": "https://cdn.example.pe/previews/brisa",
    "thumbnail_url": "/thumbnails/brisa-marina.jpg",
    "display_order": 9,
    "config": {"colors": {"primary": "#1E88E5"}},
}


def test_admin_creates_lists_updates_a_template(client, make, admin_headers):
    make.template(name="Oculta", is_active=False)

    created = client.post("/api/admin/templates", json=TEMPLATE, headers=admin_headers)
    template_id = created.get_json()["id"]
    patched = client.patch(
        f"/api/admin/templates/{template_id}",
        json={"price": "30.50", "is_active": False},
        headers=admin_headers,
    )
    listed = client.get("/api/admin/templates?is_active=false", headers=admin_headers)

    assert created.status_code == 201
    assert created.get_json()["price"] == "25.00"
    assert created.get_json()["is_active"] is True
    assert patched.status_code == 200
    assert (patched.get_json()["price"], patched.get_json()["is_active"]) == ("30.50", False)
    assert patched.get_json()["name"] == "Brisa Marina"
    assert {t["name"] for t in listed.get_json()["items"]} == {"Oculta", "Brisa Marina"}
    assert client.get(f"/api/templates/{template_id}").status_code == 404


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"category": "fiesta"}, "category"),
        ({"slug": "Con Espacios"}, "slug"),
        ({"price": "-1"}, "price"),
        ({"price": "10.001"}, "price"),
        ({"price": "abc"}, "price"),
        ({"preview_url": "javascript:alert(1)"}, "preview_url"),
        ({"thumbnail_url": "//evil.example/x.jpg"}, "thumbnail_url"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"display_order": -1}, "display_order"),
        ({"config": "colores"}, "config"),
        ({"is_featured": True}, "is_featured"),
        # What the document's patterns refuse, the server refuses too.
        ({"slug": "brisa-marina\n"}, "slug"),
        ({"preview_url": "https://cdn.example.pe/x.jpg\n"}, "preview_url"),
        ({"preview_url": ""}, "preview_url"),
        ({"name": "\t\n"}, "name"),
        ({"name": "Brisa \ud800"}, "name"),
        ({"price": " 25"}, "price"),
        ({"is_active": 0}, "is_active"),
        ({"is_active": "true"}, "is_active"),
    ],
)
def test_template_validation_errors_name_the_field(client, admin_headers, changes, field):
    response = client.post(
        "/api/admin/templates", json={**TEMPLATE, **changes}, headers=admin_headers
    )

    assert response.status_code == 422
    assert field in response.get_json()["details"]


def test_patch_without_a_body_changes_nothing_as_documented(client, make, admin_headers):
    template = make.template(name="Intacta")
    operation = client.get("/api/openapi.json").get_json()["paths"][
        "/api/admin/templates/{template_id}"
    ]["patch"]

    response = client.patch(f"/api/admin/templates/{template.id}", headers=admin_headers)

    assert response.status_code == 200
    assert response.get_json()["name"] == "Intacta"
    assert operation["requestBody"]["required"] is False


def test_admin_views_carry_every_column_of_the_model(client, make, admin_headers):
    plan = make.plan()

    body = client.get(f"/api/admin/plans/{plan.id}", headers=admin_headers).get_json()

    assert set(body) == {column.key for column in Plan.__table__.columns} | {"currency"}


def test_template_create_requires_name_slug_and_category(client, admin_headers):
    response = client.post("/api/admin/templates", json={"price": 1}, headers=admin_headers)

    assert response.status_code == 422
    assert {"name", "slug", "category"} <= set(response.get_json()["details"])


def test_duplicate_template_slug_is_slug_taken(client, make, admin_headers):
    taken = make.template(slug="brisa-marina")
    other = make.template()

    created = client.post("/api/admin/templates", json=TEMPLATE, headers=admin_headers)
    patched = client.patch(
        f"/api/admin/templates/{other.id}", json={"slug": taken.slug}, headers=admin_headers
    )

    assert (created.status_code, patched.status_code) == (409, 409)
    assert created.get_json()["error"] == "slug_taken"


def test_deleting_an_unused_template_removes_it(client, make, admin_headers):
    template_id = make.template().id

    response = client.delete(f"/api/admin/templates/{template_id}", headers=admin_headers)

    assert response.status_code == 204
    assert fresh(Template, template_id) is None
    missing = client.delete(f"/api/admin/templates/{template_id}", headers=admin_headers)
    assert missing.status_code == 404


def test_deleting_an_ordered_template_or_plan_deactivates_it(
    client, make, auth_headers, admin_headers
):
    plan, template = make.plan(), make.template()
    checkout(client, auth_headers(make.user()), line(plan, template))

    for path in (f"/api/admin/templates/{template.id}", f"/api/admin/plans/{plan.id}"):
        assert client.delete(path, headers=admin_headers).status_code == 204

    assert fresh(Template, template.id).is_active is False
    assert fresh(Plan, plan.id).is_active is False


def test_deleting_a_template_a_draft_uses_deactivates_it(client, make, admin_headers):
    template = make.template()
    make.invitation(template=template)

    client.delete(f"/api/admin/templates/{template.id}", headers=admin_headers)

    assert fresh(Template, template.id).is_active is False


# --- Plans ---------------------------------------------------------------------------------

PLAN = {
    "name": "Premium",
    "slug": "premium",
    "description": "Todo incluido.",
    "price": "399.90",
    "features": {"max_photos": 100, "music": True, "video": True, "online_days": 365},
    "display_order": 3,
}


def test_admin_creates_gets_updates_and_lists_plans(client, make, admin_headers):
    make.plan(name="Retirado", is_active=False)

    created = client.post("/api/admin/plans", json=PLAN, headers=admin_headers)
    plan_id = created.get_json()["id"]
    patched = client.patch(
        f"/api/admin/plans/{plan_id}",
        json={"features": {"max_photos": 80}, "price": 350},
        headers=admin_headers,
    )
    detail = client.get(f"/api/admin/plans/{plan_id}", headers=admin_headers).get_json()
    listed = client.get("/api/admin/plans", headers=admin_headers).get_json()

    assert created.status_code == 201
    assert created.get_json()["price"] == "399.90"
    assert patched.status_code == 200
    assert detail["features"] == {"max_photos": 80}
    assert detail["price"] == "350.00"
    assert listed["total"] == 2


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"features": {"max_fotos": 3}}, "features"),
        ({"features": {"music": "yes"}}, "features"),
        ({"features": {"max_photos": -1}}, "features"),
        ({"features": {"max_photos": True}}, "features"),
        ({"price": None}, "price"),
        ({"price": "100000000"}, "price"),
        ({"slug": "-premium"}, "slug"),
        ({"role": "admin"}, "role"),
    ],
)
def test_plan_validation_errors_name_the_field(client, admin_headers, changes, field):
    response = client.post("/api/admin/plans", json={**PLAN, **changes}, headers=admin_headers)

    assert response.status_code == 422
    assert field in response.get_json()["details"]


def test_unknown_plan_is_404(client, admin_headers):
    response = client.patch("/api/admin/plans/999999", json={"name": "X"}, headers=admin_headers)
    assert response.status_code == 404


def test_deleting_a_plan_a_coupon_is_limited_to_deactivates_it(client, make, admin_headers):
    plan = make.plan()
    coupon = make.coupon()
    coupon.plans = [plan]
    db.session.commit()

    client.delete(f"/api/admin/plans/{plan.id}", headers=admin_headers)

    assert fresh(Plan, plan.id).is_active is False
    assert [p.id for p in fresh(Coupon, coupon.id).plans] == [plan.id]


def test_deleting_an_unused_plan_removes_it(client, make, admin_headers):
    plan_id = make.plan().id
    assert client.delete(f"/api/admin/plans/{plan_id}", headers=admin_headers).status_code == 204
    assert fresh(Plan, plan_id) is None


# --- Coupons -------------------------------------------------------------------------------


def _coupon_body(**changes):
    now = utcnow()
    return {
        "code": "navidad-25",
        "description": "Campaña de diciembre",
        "discount_type": "percentage",
        "discount_value": 25,
        "min_order_amount": "100.00",
        "max_uses": 50,
        "max_uses_per_user": 1,
        "valid_from": now.isoformat(),
        "valid_until": (now + timedelta(days=30)).isoformat(),
        "plan_ids": [],
        **changes,
    }


def test_admin_creates_a_coupon_with_its_plans(client, make, admin_headers):
    plan = make.plan()

    response = client.post(
        "/api/admin/coupons", json=_coupon_body(plan_ids=[plan.id]), headers=admin_headers
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["code"] == "NAVIDAD-25"
    assert (body["discount_value"], body["min_order_amount"]) == ("25.00", "100.00")
    assert body["plan_ids"] == [plan.id]
    assert body["used_count"] == 0 and body["is_active"] is True
    assert client.get(f"/api/admin/coupons/{body['id']}", headers=admin_headers).status_code == 200


def test_coupon_codes_are_unique_whatever_the_case(client, make, admin_headers):
    make.coupon(code="NAVIDAD-25")

    response = client.post("/api/admin/coupons", json=_coupon_body(), headers=admin_headers)

    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"discount_value": 0}, "discount_value"),
        ({"discount_value": "100.01"}, "discount_value"),
        ({"discount_value": 150}, "discount_value"),
        ({"discount_type": "fixed", "discount_value": 0}, "discount_value"),
        ({"discount_type": "gratis"}, "discount_type"),
        ({"valid_until": utcnow().isoformat(), "valid_from": utcnow().isoformat()}, "valid_until"),
        ({"max_uses": 0}, "max_uses"),
        ({"max_uses_per_user": -1}, "max_uses_per_user"),
        ({"code": "no vale"}, "code"),
        ({"code": "AB"}, "code"),
        ({"plan_ids": [999999]}, "plan_ids"),
        ({"plan_ids": ["uno"]}, "plan_ids.0"),
        ({"valid_from": "mañana"}, "valid_from"),
        ({"used_count": 3}, "used_count"),
    ],
)
def test_coupon_validation_errors_name_the_field(client, admin_headers, changes, field):
    response = client.post(
        "/api/admin/coupons", json=_coupon_body(**changes), headers=admin_headers
    )

    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["details"]


def test_a_partial_change_cannot_break_a_cross_field_rule(client, make, admin_headers):
    coupon = make.coupon(discount_type="fixed", discount_value=D("150"))

    to_percentage = client.patch(
        f"/api/admin/coupons/{coupon.id}",
        json={"discount_type": "percentage"},
        headers=admin_headers,
    )
    fine = client.patch(
        f"/api/admin/coupons/{coupon.id}",
        json={"discount_type": "percentage", "discount_value": "12.5", "code": "doce"},
        headers=admin_headers,
    )

    assert to_percentage.status_code == 422
    assert "discount_value" in to_percentage.get_json()["details"]
    assert fine.status_code == 200
    assert (fine.get_json()["code"], fine.get_json()["discount_value"]) == ("DOCE", "12.50")


def test_coupon_list_filters_and_usages_show_the_orders(client, make, auth_headers, admin_headers):
    plan, template = make.plan(), make.template()
    coupon = make.coupon(code="USADO")
    make.coupon(code="OTRO", is_active=False)
    buyer = make.user(email="compradora@example.com")
    number = checkout(
        client, auth_headers(buyer), line(plan, template), coupon_code="usado"
    ).get_json()["order_number"]

    listed = client.get("/api/admin/coupons?q=usa&is_active=true", headers=admin_headers)
    usages = client.get(f"/api/admin/coupons/{coupon.id}/usages", headers=admin_headers)

    assert [c["code"] for c in listed.get_json()["items"]] == ["USADO"]
    assert listed.get_json()["items"][0]["used_count"] == 1
    [usage] = usages.get_json()["items"]
    assert usage["order_number"] == number
    assert usage["user_email"] == "compradora@example.com"
    assert usage["order_status"] == "pending"
    assert usage["discount_amount"] == "14.90"


def test_deleting_a_coupon_an_order_carried_deactivates_it(
    client, make, auth_headers, admin_headers
):
    coupon = make.coupon()
    unused_id = make.coupon().id
    checkout(
        client,
        auth_headers(make.user()),
        line(make.plan(), make.template()),
        coupon_code=coupon.code,
    )

    used_response = client.delete(f"/api/admin/coupons/{coupon.id}", headers=admin_headers)
    unused_response = client.delete(f"/api/admin/coupons/{unused_id}", headers=admin_headers)

    assert (used_response.status_code, unused_response.status_code) == (204, 204)
    assert fresh(Coupon, coupon.id).is_active is False
    assert fresh(Coupon, unused_id) is None
    assert db.session.scalar(select(Coupon.code)) == coupon.code


def test_unknown_coupon_is_404(client, admin_headers):
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(
            "/api/admin/coupons/999999", headers=admin_headers, json={}
        )
        assert response.status_code == 404
    assert client.get("/api/admin/coupons/999999/usages", headers=admin_headers).status_code == 404
