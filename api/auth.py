"""Authentication: register, login, refresh, logout, password change and reset."""

from flask_jwt_extended import current_user, get_jwt

from api.blueprint import Blueprint
from api.schemas.auth import (
    ChangePasswordSchema,
    ForgotPasswordSchema,
    LoginSchema,
    LogoutSchema,
    MessageSchema,
    RegisterSchema,
    ResetPasswordSchema,
    SessionSchema,
    TokenPairSchema,
    UserEnvelopeSchema,
)
from services import auth
from utils.rate_limits import rate_limit

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Authentication")


@blp.post("/register")
@rate_limit("register")
@blp.arguments(RegisterSchema)
@blp.response(201, SessionSchema)
@blp.alt_response(409, schema="Error")
def register(data):
    """Create a customer account and sign it in."""
    return auth.register(**data)


@blp.post("/login")
@rate_limit("login", "login_ip")
@blp.arguments(LoginSchema)
@blp.response(200, SessionSchema)
@blp.alt_response(401, schema="Error")
@blp.alt_response(403, schema="Error")
@blp.alt_response(429, schema="Error")
def login(data):
    """Exchange e-mail and password for an access and a refresh token."""
    return auth.login(**data)


@blp.post("/refresh")
@blp.refresh_token_required
@blp.response(200, TokenPairSchema)
def refresh():
    """Spend the refresh token (Authorization header) for a new pair."""
    return auth.refresh(get_jwt(), current_user)


@blp.post("/logout")
@blp.login_required
@blp.arguments(LogoutSchema)
@blp.response(200, MessageSchema)
def logout(data):
    """Revoke this access token and, when sent, the refresh token."""
    auth.logout(get_jwt(), current_user, data.get("refresh_token"))
    return {"message": "Signed out."}


@blp.get("/me")
@blp.login_required
@blp.response(200, UserEnvelopeSchema)
def me():
    """The signed-in user."""
    return {"user": current_user}


@blp.post("/change-password")
@rate_limit("password_check", "login_ip")
@blp.login_required
@blp.arguments(ChangePasswordSchema)
@blp.response(200, TokenPairSchema)
@blp.alt_response(401, schema="Error")
@blp.alt_response(429, schema="Error")
def change_password(data):
    """Change the password; every earlier token stops working."""
    return auth.change_password(current_user, **data)


@blp.post("/forgot-password")
@rate_limit("forgot_password")
@blp.arguments(ForgotPasswordSchema)
@blp.response(202, MessageSchema)
def forgot_password(data):
    """E-mail a reset link if the account exists (the answer is the same either way)."""
    auth.forgot_password(data["email"])
    return {"message": "If the account exists, we sent a reset link to that e-mail."}


@blp.post("/reset-password")
@blp.arguments(ResetPasswordSchema)
@blp.response(200, MessageSchema)
def reset_password(data):
    """Set a new password with the e-mailed token; every earlier token stops working."""
    auth.reset_password(**data)
    return {"message": "Password changed. Sign in with the new password."}
