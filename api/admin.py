"""The admin panel's API (role admin; everyone else gets 403 `forbidden`)."""

from flask_jwt_extended import current_user

from api.blueprint import Blueprint
from api.schemas.admin import AdminUserSchema, AdminUserUpdateSchema, UserQueryArgs
from api.schemas.common import page_of
from services import users

blp = Blueprint("admin", __name__, url_prefix="/api/admin", description="Administration")


@blp.get("/users")
@blp.admin_required
@blp.arguments(UserQueryArgs, location="query")
@blp.response(200, page_of(AdminUserSchema))
def list_users(args):
    """Users, newest first; `q` matches e-mail and names."""
    return users.list_users(**args)


@blp.get("/users/<int:user_id>")
@blp.admin_required
@blp.response(200, AdminUserSchema)
def get_user(user_id: int):
    """One user."""
    return users.get_user(user_id)


@blp.patch("/users/<int:user_id>")
@blp.admin_required
@blp.arguments(AdminUserUpdateSchema)
@blp.response(200, AdminUserSchema)
def update_user(changes, user_id: int):
    """Change a user's role or disable the account (its tokens stop working at once)."""
    return users.admin_update_user(current_user, user_id, changes)
