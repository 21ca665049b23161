"""The signed-in user's own account."""

from flask_jwt_extended import current_user

from api.blueprint import Blueprint
from api.schemas.auth import DeleteAccountSchema, ProfileUpdateSchema, UserEnvelopeSchema
from services import users
from utils.rate_limits import rate_limit

blp = Blueprint("users", __name__, url_prefix="/api/users", description="Users")


@blp.get("/me")
@blp.login_required
@blp.response(200, UserEnvelopeSchema)
def get_me():
    """The signed-in user's profile."""
    return {"user": current_user}


@blp.patch("/me")
@blp.login_required
@blp.arguments(ProfileUpdateSchema)
@blp.response(200, UserEnvelopeSchema)
def update_me(changes):
    """Change first name, last name or phone; any other field is refused."""
    return {"user": users.update_profile(current_user, changes)}


@blp.delete("/me")
@rate_limit("password_check", "login_ip")
@blp.login_required
@blp.arguments(DeleteAccountSchema)
@blp.response(204)
@blp.alt_response(401, schema="Error")
@blp.alt_response(429, schema="Error")
def delete_me(data):
    """Disable the account and erase its personal data (orders are kept)."""
    users.delete_account(current_user, password=data["password"])
