"""JWT checks: token failures answer the 401 codes (docs/api-conventions.md, "API conventions");
the user is loaded once per request."""

from flask import g
from flask_jwt_extended import JWTManager

from api.errors import handle_app_error
from services import tokens
from services.exceptions import UnauthorizedError


def register_jwt_handlers(jwt: JWTManager) -> None:
    # flask-jwt-extended calls the blocklist check, then the user lookup, with the same
    # token: the first loads the user and the revocation state in one statement, the
    # second hands that user over.
    @jwt.token_in_blocklist_loader
    def token_is_revoked(_header, payload):
        user, revoked = tokens.load_token_user(payload)
        g.token_user = user
        return revoked

    @jwt.user_lookup_loader
    def load_user(_header, _payload):
        return g.pop("token_user", None)

    @jwt.revoked_token_loader
    def revoked(_header, _payload):
        return handle_app_error(tokens.TokenRevokedError())

    @jwt.expired_token_loader
    def expired(_header, _payload):
        return handle_app_error(tokens.TokenExpiredError())

    @jwt.invalid_token_loader
    def invalid(_reason):
        return handle_app_error(tokens.InvalidTokenError())

    @jwt.unauthorized_loader
    def missing(_reason):
        return handle_app_error(UnauthorizedError())

    @jwt.user_lookup_error_loader
    def unknown_user(_header, _payload):
        return handle_app_error(UnauthorizedError("This account can no longer sign in."))
