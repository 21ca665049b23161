"""The Blueprint every domain uses: flask-smorest's, with a stricter JSON parser and auth."""

import functools

import flask_smorest
from flask_jwt_extended import current_user, verify_jwt_in_request
from flask_smorest import abort
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from services.exceptions import ForbiddenError
from utils import safe_json

BEARER = [{"bearerAuth": []}]


class StrictJsonParser(FlaskParser):
    """A missing body or one that is not JSON is a 400, not a confusing 422; bodies are
    decoded with the limits of utils/safe_json.py (depth, 64-bit integers)."""

    def load_json(self, req, schema):
        if not req.get_data(cache=True):
            if any(field.required for field in schema.fields.values()):
                abort(400, message="A JSON body is required.")
            return {}
        if not req.is_json:
            abort(400, message="The body must be sent as application/json.")
        return super().load_json(req, schema)

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        try:
            return safe_json.loads(req.get_data(cache=True))
        except safe_json.UnsafeJsonError as error:
            abort(400, message=str(error))


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictJsonParser()

    def login_required(self, func):
        """An access token of an active user; the view reads it as `current_user`."""
        return self._guard(func, check=lambda: verify_jwt_in_request())

    def login_optional(self, func):
        """Anonymous callers welcome; a token, when sent, must be valid."""
        return self._guard(func, check=lambda: verify_jwt_in_request(optional=True))

    def refresh_token_required(self, func):
        return self._guard(func, check=lambda: verify_jwt_in_request(refresh=True))

    def admin_required(self, func):
        def check():
            verify_jwt_in_request()
            if not current_user.is_admin:
                raise ForbiddenError("This action is for administrators.")

        return self._guard(func, check=check)

    def _guard(self, func, *, check):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            check()
            return func(*args, **kwargs)

        return self.doc(security=BEARER)(wrapper)
