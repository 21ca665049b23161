"""Admin views of users (and, later, of the catalogue, coupons and orders)."""

from marshmallow import Schema, fields, validate

from api.schemas.auth import UserSchema
from api.schemas.common import PaginationArgs
from models.user import ROLES


class AdminUserSchema(UserSchema):
    last_login_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    deleted_at = fields.DateTime(allow_none=True)


class UserQueryArgs(PaginationArgs):
    q = fields.String(validate=validate.Length(max=100))
    role = fields.String(validate=validate.OneOf(ROLES))


class AdminUserUpdateSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    is_active = fields.Boolean()
