"""Admin: users."""

from flask_jwt_extended import current_user

from api.admin import blp
from api.schemas.common import page_of
from api.schemas.users import AdminUserSchema, AdminUserUpdateSchema, UserQueryArgs
from services import users


@blp.get("/users")
@blp.admin_required
@blp.arguments(UserQueryArgs, location="query")
@blp.response(200, page_of(AdminUserSchema))
def list_users(args):
    """Users, newest first; `q` matches e-mail and names."""
    return users.admin_list_users(**args)


@blp.get("/users/<int:user_id>")
@blp.admin_required
@blp.response(200, AdminUserSchema)
@blp.alt_response(404, schema="Error")
def get_user(user_id: int):
    """One user."""
    return users.admin_get_user(user_id)


@blp.patch("/users/<int:user_id>")
@blp.admin_required
@blp.arguments(AdminUserUpdateSchema)
@blp.response(200, AdminUserSchema)
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error")
def update_user(changes, user_id: int):
    """Change a user's role or disable the account (its tokens stop working at once)."""
    return users.admin_update_user(current_user, user_id, changes)
