"""JWT checks: every token failure answers API.md's codes; the user is loaded per request."""

from flask_jwt_extended import JWTManager

from api.errors import error_response
from services import tokens, users


def register_jwt_handlers(jwt: JWTManager) -> None:
    @jwt.token_in_blocklist_loader
    def token_is_revoked(_header, payload):
        return tokens.is_revoked(payload)

    @jwt.user_lookup_loader
    def load_user(_header, payload):
        return users.get_active_user(int(payload["sub"]))

    @jwt.revoked_token_loader
    def revoked(_header, _payload):
        return error_response(401, "token_revoked", "This token has been revoked.")

    @jwt.expired_token_loader
    def expired(_header, _payload):
        return error_response(401, "token_expired", "This token has expired.")

    @jwt.invalid_token_loader
    def invalid(_reason):
        return error_response(401, "unauthorized", "The token is not valid.")

    @jwt.unauthorized_loader
    def missing(_reason):
        return error_response(401, "unauthorized", "Authentication is required.")

    @jwt.user_lookup_error_loader
    def unknown_user(_header, _payload):
        return error_response(401, "unauthorized", "This account can no longer sign in.")
