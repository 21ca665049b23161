"""The Blueprint every domain uses: flask-smorest's, with a stricter JSON parser and auth.

Its decorators also document what they enforce (api/openapi.py builds the rest): who may
call (`security`, 403 for admin routes), whether a body is required, and which schemas are
response bodies (their fields are marked `required`).
"""

import functools
import json

import flask_smorest
from flask_jwt_extended import current_user, verify_jwt_in_request
from flask_smorest import abort
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from api.openapi import document_as_response
from services.exceptions import ForbiddenError
from utils import safe_json

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
# Either no credentials or a bearer token (which must then be valid).
BEARER_OPTIONAL: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]
BODY_LOCATIONS = ("json", "form", "files")


class StrictJsonParser(FlaskParser):
    """A missing body or one that is not JSON is a 400, not a confusing 422; bodies are
    decoded with the limits of utils/safe_json.py (depth, 64-bit integers)."""

    def load_json(self, req, schema):
        # The whole of webargs' public `load_json`: its own one leans on private hooks.
        body = req.get_data(cache=True)
        if not body:
            if any(field.required for field in schema.fields.values()):
                abort(400, message="A JSON body is required.")
            return {}
        if not req.is_json:
            abort(400, message="The body must be sent as application/json.")
        try:
            return safe_json.loads(body)
        except safe_json.UnsafeJsonError as error:
            abort(400, message=str(error))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            abort(400, exc=error, messages={"json": ["Invalid JSON body."]})

    def load_files(self, req, schema):
        """A multipart body: its files and its plain fields, read by one schema (the document
        can describe one request body per operation)."""
        return MultiDictProxy(
            CombinedMultiDict([req.files, req.form]),
            schema,
            known_multi_fields=tuple(self.KNOWN_MULTI_FIELDS),
        )


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictJsonParser()

    def arguments(self, schema, *, location="json", **kwargs):
        """As flask-smorest's; a body whose fields are all optional may be left out, as
        StrictJsonParser allows, so the document does not call it required."""
        if location in BODY_LOCATIONS:
            kwargs.setdefault("required", _has_required_fields(schema))
        return super().arguments(schema, location=location, **kwargs)

    def response(self, status_code, schema=None, **kwargs):
        if schema is not None:
            document_as_response(schema)
        return super().response(status_code, schema, **kwargs)

    def alt_response(self, status_code, response=None, *, schema=None, **kwargs):
        if schema is not None and not isinstance(schema, str):
            document_as_response(schema)
        return super().alt_response(status_code, response, schema=schema, **kwargs)

    def login_required(self, func):
        """An access token of an active user; the view reads it as `current_user`."""
        return self._guard(func, check=lambda: verify_jwt_in_request())

    def login_optional(self, func):
        """Anonymous callers welcome; a token, when sent, must be valid."""
        return self._guard(
            func, check=lambda: verify_jwt_in_request(optional=True), security=BEARER_OPTIONAL
        )

    def refresh_token_required(self, func):
        return self._guard(func, check=lambda: verify_jwt_in_request(refresh=True))

    def admin_required(self, func):
        def check():
            verify_jwt_in_request()
            if not current_user.is_admin:
                raise ForbiddenError("This action is for administrators.")

        return self.alt_response(403, schema="Error")(self._guard(func, check=check))

    def _guard(self, func, *, check, security=BEARER):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            check()
            return func(*args, **kwargs)

        return self.doc(security=security)(wrapper)


def _has_required_fields(schema) -> bool:
    instance = schema() if isinstance(schema, type) else schema
    return any(
        field.required or field.metadata.get("required_by_service")
        for field in instance.fields.values()
    )
