"""The OpenAPI document, built so a client generator and a contract fuzzer can rely on it.

What it adds to flask-smorest's document (docs/api-conventions.md, "API conventions"):

- `operationId` `<blueprint>_<view function>` on every operation;
- `required` on response schemas: every field is always present unless its metadata says
  `optional`; on request schemas also the fields whose absence the service answers
  (metadata `required_by_service`);
- the error responses each operation can give, as shared components with the Error schema:
  401 when it takes a token, 400/413/422 when it reads a body, 422 for query arguments,
  404 for path parameters, 429 unless exempt from rate limits, plus the ones views declare;
- money, integers and free-form JSON described as the server parses them.
"""

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter
from apispec.ext.marshmallow.common import get_fields, resolve_schema_instance
from flask import Flask
from marshmallow import EXCLUDE, Schema, fields

from api.schemas.common import ErrorSchema
from api.schemas.fields import MONEY_PATTERN, AnyJson, Money, MoneyInput
from utils.money import MAX_AMOUNT
from utils.rate_limits import EXEMPT_ENDPOINTS
from utils.safe_json import INT64_MAX, MAX_DEPTH

BEARER_AUTH = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}

JSON_VALUE_REF = {"$ref": "#/components/schemas/JsonValue"}
# Any JSON value the request parser accepts: integers within 64 bits (nesting is limited to
# MAX_DEPTH levels for the whole body, which a schema cannot say per value).
JSON_VALUE = {
    "description": f"Any JSON value; integers within ±(2⁶³−1), at most {MAX_DEPTH} levels deep.",
    "nullable": True,
    "anyOf": [
        {"type": "string"},
        {"type": "boolean"},
        {"type": "number", "minimum": -INT64_MAX, "maximum": INT64_MAX},
        {"type": "array", "items": JSON_VALUE_REF},
        {"type": "object", "additionalProperties": JSON_VALUE_REF},
    ],
}

# status -> (component name, description naming its error codes, as in
# docs/api-conventions.md, "API conventions")
ERROR_RESPONSES = {
    400: (
        "BadRequest",
        "`bad_request`: malformed, missing or non-JSON body; JSON nested "
        f"deeper than {MAX_DEPTH} levels or with integers beyond 64 bits.",
    ),
    401: (
        "Unauthorized",
        "`unauthorized` (missing, malformed, forged or wrong-type token; "
        "disabled account), `token_expired`, `token_revoked`, `invalid_credentials` or "
        "`invalid_signature`.",
    ),
    403: ("Forbidden", "`forbidden` (admin routes) or `account_disabled`."),
    404: ("NotFound", "`not_found`: no such object (another user's is the same 404)."),
    409: ("Conflict", "`conflict`, `email_taken`, `slug_taken` or `invalid_state`."),
    412: ("PreconditionFailed", "`precondition_failed`: the `If-Match` ETag is stale."),
    413: ("PayloadTooLarge", "`payload_too_large`: the body is over the upload limit."),
    415: ("UnsupportedMediaType", "`unsupported_media_type`."),
    422: (
        "UnprocessableContent",
        "`validation_error` (`details` maps each field to its "
        "messages; unknown fields are refused) or `coupon_invalid` (`details.reason`).",
    ),
    429: ("TooManyRequests", "`rate_limited`; `Retry-After` says when to retry."),
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
}

# Schema classes documented as response bodies, and every schema nested in them.
RESPONSE_SCHEMAS: set[type[Schema]] = set()


def document_as_response(schema) -> None:
    """Record `schema` (class or instance) and the schemas it nests as response bodies."""
    schema_class = schema if isinstance(schema, type) else type(schema)
    if not isinstance(schema_class, type) or not issubclass(schema_class, Schema):
        return
    if schema_class in RESPONSE_SCHEMAS:
        return
    RESPONSE_SCHEMAS.add(schema_class)
    for field in schema_class._declared_fields.values():
        _document_nested(field)


def _document_nested(field: fields.Field) -> None:
    if isinstance(field, fields.Nested):
        nested = field.nested
        if isinstance(nested, Schema | type):
            document_as_response(nested)
    elif isinstance(field, fields.List):
        _document_nested(field.inner)
    elif isinstance(field, fields.Dict) and field.value_field is not None:
        _document_nested(field.value_field)


class ContractConverter(OpenAPIConverter):
    def init_attribute_functions(self):
        super().init_attribute_functions()
        self.add_attribute_function(money2properties)
        self.add_attribute_function(anyjson2properties)
        self.add_attribute_function(integer2bounds)

    def schema2jsonschema(self, schema):
        jsonschema = super().schema2jsonschema(schema)
        schema_class = schema if isinstance(schema, type) else type(schema)
        is_response = schema_class in RESPONSE_SCHEMAS
        required = set(jsonschema.get("required", ()))
        for name, field in get_fields(schema).items():
            always_present = is_response and not field.load_only
            if field.metadata.get("required_by_service") or (
                always_present and not field.metadata.get("optional")
            ):
                required.add(field.data_key or name)
        if required:
            jsonschema["required"] = sorted(required)
        if resolve_schema_instance(schema).unknown == EXCLUDE:
            # Unknown fields are dropped, whatever they hold (within the parser's limits).
            jsonschema.setdefault("additionalProperties", JSON_VALUE_REF)
        return jsonschema


class ContractMarshmallowPlugin(MarshmallowPlugin):
    Converter = ContractConverter


def money2properties(self, field, **kwargs) -> dict:
    if isinstance(field, MoneyInput):
        return {
            "anyOf": [
                {"type": "string", "pattern": MONEY_PATTERN, "example": "149.90"},
                {
                    "type": "number",
                    "minimum": 0,
                    "maximum": float(MAX_AMOUNT),
                    "multipleOf": 0.01,
                },
            ],
            "description": 'Soles: a string such as "149.90" or a number, two decimals at most.',
        }
    if isinstance(field, Money):
        return {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$", "example": "149.00"}
    return {}


def anyjson2properties(self, field, ret, **kwargs) -> dict:
    if not isinstance(field, AnyJson):
        return {}
    # JSON_VALUE already admits null, so drop the wrapper field2nullable put around it.
    ret.pop("nullable", None)
    return {key: value for key, value in JSON_VALUE.items() if key != "description"}


def integer2bounds(self, field, ret, **kwargs) -> dict:
    """Integers beyond 64 bits are refused by the request parser, so say where they end."""
    if not isinstance(field, fields.Integer):
        return {}
    bounds = {}
    if "maximum" not in ret:
        bounds["maximum"] = INT64_MAX
    if "minimum" not in ret:
        bounds["minimum"] = -INT64_MAX
    return bounds


class OperationsPlugin(BasePlugin):
    """operationId and error responses for every operation of the app."""

    spec: APISpec  # given by init_spec, which apispec calls before any helper

    def __init__(self, app: Flask):
        super().__init__()
        self.app = app

    def init_spec(self, spec):
        super().init_spec(spec)
        self.spec = spec
        for status, (name, description) in ERROR_RESPONSES.items():
            component = {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
            if status == 429:
                component["headers"] = RETRY_AFTER
            spec.components.response(name, component, lazy=True)

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            operation.setdefault("operationId", rule.endpoint.replace(".", "_"))
            if len(rule.methods - {"HEAD", "OPTIONS"}) > 1:
                operation["operationId"] += f"_{method}"
            self._add_error_responses(rule, operation)

    def _add_error_responses(self, rule, operation: dict) -> None:
        responses = operation.setdefault("responses", {})
        statuses = {int(code) for code in responses if str(code).isdigit()}
        statuses = {status for status in statuses if status in ERROR_RESPONSES}
        if any(requirement for requirement in operation.get("security", ())):
            statuses.add(401)
        if "requestBody" in operation:
            statuses |= {400, 413, 422}
        if any(parameter.get("in") == "query" for parameter in operation.get("parameters", ())):
            statuses.add(422)
        if rule.arguments:
            statuses.add(404)
        if not self._exempt_from_rate_limits(rule.endpoint):
            statuses.add(429)
        for code in list(responses):
            if str(code).isdigit() and int(code) in statuses:
                del responses[code]
        for status in sorted(statuses):
            name = ERROR_RESPONSES[status][0]
            responses[str(status)] = self.spec.components.get_ref("response", name)

    def _exempt_from_rate_limits(self, endpoint: str) -> bool:
        view = self.app.view_functions.get(endpoint)
        return endpoint in EXEMPT_ENDPOINTS or getattr(view, "_rate_limit_exempt", False)


def init_openapi(api, app: Flask) -> None:
    """Initialise flask-smorest's Api for `app` with the plugins above; blueprints come next."""
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(
        app,
        spec_kwargs={
            "marshmallow_plugin": ContractMarshmallowPlugin(),
            "extra_plugins": [OperationsPlugin(app)],
        },
    )
    # flask-smorest documents its pagination header eagerly; lists here carry page fields in
    # their body, so that schema would be a component nothing refers to.
    api.spec.components.schemas.pop("PaginationMetadata", None)
    api.spec.components.security_scheme("bearerAuth", BEARER_AUTH)
    api.spec.components.schema("JsonValue", component=JSON_VALUE)
