"""The OpenAPI document: valid, complete enough for a client generator, and the docs page.

The walkers below fail on a missing piece: an operation without a unique operationId, a
response schema without `required`, an authenticated operation without its 401, a body
without its 400/422, a `$ref` to nothing, a component nothing refers to.
"""

import re

import pytest
from openapi_spec_validator import validate

from api.schemas.common import ERROR_CODES
from services.exceptions import AppError

METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def resolve(spec, node):
    while "$ref" in node:
        section, name = node["$ref"].removeprefix("#/components/").split("/")
        node = spec["components"][section][name]
    return node


def refs_in(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def object_schemas(spec, schema, seen):
    """Every component object schema reachable from `schema` (through refs, items, ...).

    Inline objects are maps of optional settings (a plan's `features`), not records.
    """
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen.add(schema["$ref"])
        schema = resolve(spec, schema)
        if schema.get("properties"):
            yield schema
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from object_schemas(spec, schema[key], seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, ()):
            yield from object_schemas(spec, branch, seen)
    for value in (schema.get("properties") or {}).values():
        yield from object_schemas(spec, value, seen)


def success_schemas(spec, operation):
    for status, response in operation["responses"].items():
        if status.startswith("2"):
            for media in resolve(spec, response).get("content", {}).values():
                yield media["schema"]


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


def test_every_operation_has_a_unique_operation_id(spec):
    ids = [operation.get("operationId") for _, operation in operations(spec)]

    assert None not in ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert "admin_list_templates" in ids and "cart_summary" in ids


def test_every_response_schema_says_which_fields_are_always_present(spec):
    missing = []
    for label, operation in operations(spec):
        for schema in success_schemas(spec, operation):
            for found in object_schemas(spec, schema, set()):
                if not found.get("required"):
                    missing.append((label, sorted(found["properties"])))

    assert not missing, missing


def test_a_field_absent_from_some_answers_is_not_required(spec):
    validity = spec["components"]["schemas"]["CouponValidity"]

    assert "discount_amount" in validity["properties"]
    assert "discount_amount" not in validity["required"]
    assert "valid" in validity["required"]


def test_every_authenticated_operation_lists_401_and_admin_ones_403(spec):
    for label, operation in operations(spec):
        if any(operation.get("security", ())):
            assert "401" in operation["responses"], label
        if " /api/admin/" in label:
            assert {"401", "403"} <= set(operation["responses"]), label


def test_optional_auth_routes_are_documented_as_optional(spec):
    optional = {
        label
        for label, operation in operations(spec)
        if operation.get("security") == [{}, {"bearerAuth": []}]
    }

    assert optional == {
        "POST /api/cart/summary",
        "POST /api/coupons/validate",
        # A signed-in filer's claim is linked to their account (and may name their order).
        "POST /api/claims",
    }


def test_every_operation_with_a_body_lists_400_413_and_422(spec):
    for label, operation in operations(spec):
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(operation["responses"]), label


def test_every_operation_with_a_path_parameter_lists_404(spec):
    for label, operation in operations(spec):
        if "{" in label:
            assert "404" in operation["responses"], label


def test_error_responses_use_the_error_schema(spec):
    for label, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                schema = resolve(spec, response)["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (label, status)


def test_error_schema_enumerates_the_codes_the_server_sends(spec):
    def leaves(cls):
        subclasses = cls.__subclasses__()
        return [cls] if not subclasses else [leaf for sub in subclasses for leaf in leaves(sub)]

    enumerated = spec["components"]["schemas"]["Error"]["properties"]["error"]["enum"]

    assert enumerated == list(ERROR_CODES)
    assert {error.code for error in leaves(AppError)} <= set(enumerated)


def test_every_ref_points_to_a_component_and_every_component_is_referenced(spec):
    referenced = set(refs_in(spec["paths"]))
    pending = list(referenced)
    while pending:
        ref = pending.pop()
        section, name = ref.removeprefix("#/components/").split("/")
        assert name in spec["components"].get(section, {}), ref
        for inner in refs_in(spec["components"][section][name]):
            if inner not in referenced:
                referenced.add(inner)
                pending.append(inner)
    defined = {
        f"#/components/{section}/{name}"
        for section, components in spec["components"].items()
        if section != "securitySchemes"
        for name in components
    }

    assert defined == referenced, defined ^ referenced


def test_optional_bodies_are_not_required(spec):
    body = spec["paths"]["/api/admin/plans/{plan_id}"]["patch"]["requestBody"]
    create = spec["paths"]["/api/admin/plans"]["post"]["requestBody"]

    assert (body["required"], create["required"]) == (False, True)
