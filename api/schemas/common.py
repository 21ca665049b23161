"""Query arguments and envelopes shared by every list."""

from marshmallow import Schema, fields, validate

from utils.pagination import DEFAULT_PER_PAGE


class PaginationArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    # Values above the maximum are capped by the pagination helper, as API.md says.
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1))


class PageSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


_page_schemas: dict[type, type] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The paginated envelope schema for `item_schema` (one class per item schema)."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[item_schema] = type(
            name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema))}
        )
    return _page_schemas[item_schema]


def list_of(item_schema: type[Schema]) -> type[Schema]:
    """The `{"items": [...]}` envelope of an unpaginated list."""
    name = item_schema.__name__.removesuffix("Schema") + "ListSchema"
    return type(name, (Schema,), {"items": fields.List(fields.Nested(item_schema))})


class ErrorSchema(Schema):
    error = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict()
