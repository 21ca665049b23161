"""Users as the admin lists, reads and changes them."""

from marshmallow import Schema, fields, validate

from api.schemas.common import PaginationArgs
from api.schemas.fields import Bool, Text
from extensions import ma
from models.user import ROLES, User


class AdminUserSchema(ma.SQLAlchemySchema):
    """Named columns only: a user row holds secrets (password hash, token version)."""

    class Meta:
        model = User

    id = ma.auto_field()
    email = ma.auto_field()
    first_name = ma.auto_field()
    last_name = ma.auto_field()
    phone = ma.auto_field()
    role = fields.String(validate=validate.OneOf(ROLES))
    is_active = ma.auto_field()
    created_at = ma.auto_field()
    last_login_at = ma.auto_field()
    updated_at = ma.auto_field()
    deleted_at = ma.auto_field()


class UserQueryArgs(PaginationArgs):
    q = Text(validate=validate.Length(max=100))
    role = fields.String(validate=validate.OneOf(ROLES))


class AdminUserUpdateSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    is_active = Bool()
