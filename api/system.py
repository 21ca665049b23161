"""Health check and the offline assets of the API docs page."""

import flask
import swagger_ui_bundle
from flask import send_from_directory
from marshmallow import Schema, fields

from api.blueprint import Blueprint
from services import system

blp = Blueprint("system", __name__, description="Operations")


class HealthSchema(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())


@blp.get("/health")
@blp.response(200, HealthSchema)
@blp.alt_response(
    503, schema=HealthSchema, description="A dependency is failing (`error`) or hung (`timeout`)"
)
def health():
    """Liveness and the state of each dependency, within a second."""
    report = system.check_health()
    return report, (200 if report["status"] == "ok" else 503)


# Not part of the API, so not in the OpenAPI document: a plain Flask blueprint.
docs_assets_blp = flask.Blueprint("docs_assets", __name__)


@docs_assets_blp.get("/api/docs/assets/<path:filename>")
def docs_assets(filename: str):
    """Swagger UI files, served from the installed package so the docs need no internet."""
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)
