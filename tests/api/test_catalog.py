"""The public catalog: plans and templates."""

from decimal import Decimal

import pytest

from services import seed


def test_plans_lists_active_plans_in_display_order(client, make):
    later = make.plan(name="Later", display_order=2, price=Decimal("249.00"))
    first = make.plan(name="First", display_order=1, price=Decimal("149.5"))
    make.plan(name="Hidden", is_active=False)

    response = client.get("/api/plans")

    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["id"] for item in items] == [first.id, later.id]
    assert items[0]["price"] == "149.50"
    assert items[0]["currency"] == "PEN"
    assert items[0]["features"]["max_photos"] == 10


def test_plan_detail_and_inactive_plan_is_not_found(client, make):
    active = make.plan()
    inactive = make.plan(is_active=False)

    assert client.get(f"/api/plans/{active.id}").get_json()["slug"] == active.slug
    response = client.get(f"/api/plans/{inactive.id}")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_templates_are_paginated_with_the_api_envelope(client, make):
    for _ in range(5):
        make.template()

    body = client.get("/api/templates?per_page=2&page=2").get_json()

    assert body["page"] == 2
    assert body["per_page"] == 2
    assert body["total"] == 5
    assert body["pages"] == 3
    assert len(body["items"]) == 2


def test_templates_per_page_above_100_is_capped(client, make):
    make.template()
    body = client.get("/api/templates?per_page=500").get_json()
    assert body["per_page"] == 100


def test_templates_filter_by_category_and_text(client, make):
    make.template(name="Jardín Secreto", category="boda")
    make.template(name="Mis Quince Rosa", category="quinceanos")
    make.template(name="Rosa Pálido", category="boda", is_active=False)

    by_category = client.get("/api/templates?category=quinceanos").get_json()
    by_text = client.get("/api/templates?q=ROSA").get_json()

    assert [t["name"] for t in by_category["items"]] == ["Mis Quince Rosa"]
    assert [t["name"] for t in by_text["items"]] == ["Mis Quince Rosa"]


def test_template_text_search_treats_wildcards_literally(client, make):
    make.template(name="Cien por ciento")
    assert client.get("/api/templates?q=%25").get_json()["total"] == 0


def test_template_categories_count_only_active_templates(client, make):
    make.template(category="boda")
    make.template(category="boda")
    make.template(category="bautizo")
    make.template(category="bautizo", is_active=False)

    items = client.get("/api/templates/categories").get_json()["items"]

    assert items == [{"category": "bautizo", "count": 1}, {"category": "boda", "count": 2}]


def test_template_detail_hides_inactive_templates(client, make):
    active = make.template(price=Decimal("30"))
    inactive = make.template(is_active=False)

    body = client.get(f"/api/templates/{active.id}").get_json()
    assert body["price"] == "30.00"
    assert body["currency"] == "PEN"
    assert client.get(f"/api/templates/{inactive.id}").status_code == 404


def test_deactivated_template_disappears_at_once(client, make):
    from extensions import db

    template = make.template()
    assert client.get(f"/api/templates/{template.id}").status_code == 200

    template.is_active = False
    db.session.commit()

    assert client.get(f"/api/templates/{template.id}").status_code == 404
    assert client.get("/api/templates").get_json()["total"] == 0


@pytest.mark.parametrize(
    "query, field",
    [
        ("category=fiesta", "category"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("per_page=0", "per_page"),
        ("per_page=-5", "per_page"),
        ("q=" + "x" * 101, "q"),
    ],
)
def test_templates_bad_query_is_a_422_naming_the_field(client, query, field):
    response = client.get(f"/api/templates?{query}")

    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_error"
    assert field in body["details"]


@pytest.mark.parametrize(
    "path", ["/api/plans/999999", "/api/plans/abc", "/api/templates/999999", "/api/templates/-1"]
)
def test_unknown_catalog_ids_are_json_404s(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_seeded_catalog_is_served(client, app):
    seed.seed_reference_data(None, None)

    plans = client.get("/api/plans").get_json()["items"]
    templates = client.get("/api/templates?per_page=100").get_json()

    assert [plan["name"] for plan in plans] == ["Standard", "Exclusive"]
    assert plans[0]["features"]["max_guest_links"] == 100
    assert plans[1]["features"]["custom_slug"] is True
    assert templates["total"] >= 8
    assert len({t["category"] for t in templates["items"]}) == 6
