"""The OpenAPI document and the offline docs page."""

import re

from openapi_spec_validator import validate


def test_openapi_document_is_valid_and_lists_the_catalog(client):
    spec = client.get("/api/openapi.json").get_json()

    validate(spec)
    for path in (
        "/health",
        "/api/plans",
        "/api/plans/{plan_id}",
        "/api/templates",
        "/api/templates/categories",
        "/api/templates/{template_id}",
    ):
        assert path in spec["paths"], path


def test_openapi_describes_the_error_shape(client):
    spec = client.get("/api/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"error", "message", "details"}


def test_every_api_route_is_documented(app, client):
    documented = set(client.get("/api/openapi.json").get_json()["paths"])
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and not rule.rule.startswith("/api/docs")
    }
    routes.discard("/api/openapi.json")
    assert routes <= documented, routes - documented


def test_docs_page_loads_its_assets_from_this_server(client):
    page = client.get("/api/docs")
    html = page.get_data(as_text=True)
    asset_urls = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)

    assert page.status_code == 200
    assert asset_urls, "the docs page should reference Swagger UI assets"
    for url in asset_urls:
        assert url.startswith("/api/docs/assets/"), url
        with client.get(url) as asset:
            assert asset.status_code == 200, url
            assert len(asset.data) > 1000
