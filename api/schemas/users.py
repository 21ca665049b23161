"""Users as the admin lists, reads and changes them."""

from flask_marshmallow.sqla import SQLAlchemySchema
from marshmallow import Schema, fields, validate
from marshmallow_sqlalchemy import auto_field

from api.schemas.common import PaginationArgs
from api.schemas.fields import Bool, Text
from models.user import ROLES, User


class AdminUserSchema(SQLAlchemySchema):
    """Named columns only: a user row holds secrets (password hash, token version)."""

    class Meta:
        model = User

    id = auto_field()
    email = auto_field()
    first_name = auto_field()
    last_name = auto_field()
    phone = auto_field()
    role = fields.String(validate=validate.OneOf(ROLES))
    is_active = auto_field()
    created_at = auto_field()
    last_login_at = auto_field()
    updated_at = auto_field()
    deleted_at = auto_field()


class UserQueryArgs(PaginationArgs):
    q = Text(validate=validate.Length(max=100))
    role = fields.String(validate=validate.OneOf(ROLES))


class AdminUserUpdateSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    is_active = Bool()
