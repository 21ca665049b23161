"""Plans and templates as the public catalog shows them."""

from marshmallow import Schema, fields, validate

from api.schemas.common import PaginationArgs
from api.schemas.fields import Currency, Money
from models.template import CATEGORIES


class PlanSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    description = fields.String(allow_none=True)
    price = Money()
    currency = Currency()
    features = fields.Dict()
    display_order = fields.Integer()


class TemplateSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    category = fields.String()
    description = fields.String(allow_none=True)
    price = Money()
    currency = Currency()
    preview_url = fields.String(allow_none=True)
    thumbnail_url = fields.String(allow_none=True)
    display_order = fields.Integer()
    config = fields.Dict()


class TemplateQueryArgs(PaginationArgs):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    q = fields.String(validate=validate.Length(max=100))


class CategoryCountSchema(Schema):
    category = fields.String()
    count = fields.Integer()
