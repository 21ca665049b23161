"""The links of an own invitation: custom slugs, guest links and their CSV import, QR codes."""

from flask import Response
from flask_jwt_extended import current_user

from api.blueprint import Blueprint
from api.ownership import owner_first
from api.schemas.common import list_of
from api.schemas.invitation_urls import (
    BINARY,
    CREATE_BODY_DOC,
    SVG,
    InvitationUrlCreateSchema,
    InvitationUrlImportResultSchema,
    InvitationUrlImportSchema,
    InvitationUrlQueryArgs,
)
from api.schemas.invitations import InvitationUrlSchema
from services import invitation_urls

blp = Blueprint(
    "invitation_urls", __name__, url_prefix="/api/invitations", description="Invitation links"
)

QR_MAX_AGE_SECONDS = 3600
IMPORT_MAX_MB = invitation_urls.IMPORT_MAX_BYTES // (1024 * 1024)


@blp.get("/<int:invitation_id>/urls")
@blp.login_required
@owner_first
@blp.arguments(InvitationUrlQueryArgs, location="query")
@blp.response(200, list_of(InvitationUrlSchema))
@blp.alt_response(404, schema="Error")
def list_links(args, invitation_id: int):
    """The invitation's links, oldest first: active ones unless `include_inactive=true`."""
    return {"items": invitation_urls.list_links(current_user, invitation_id, **args)}


@blp.post("/<int:invitation_id>/urls")
@blp.login_required
@owner_first
@blp.arguments(InvitationUrlCreateSchema)
@blp.doc(requestBody=CREATE_BODY_DOC)
@blp.response(201, InvitationUrlSchema)
@blp.alt_response(403, schema="Error", description="`feature_not_in_plan` / `plan_limit_reached`")
@blp.alt_response(404, schema="Error")
@blp.alt_response(
    409, schema="Error", description="`slug_taken`; `conflict`: a custom link already exists"
)
@blp.alt_response(422, schema="Error", description="Also: a reserved or too short slug")
def create_link(body, invitation_id: int):
    """A custom slug (plan feature `custom_slug`) or a guest link with its passes."""
    return invitation_urls.create_link(current_user, invitation_id, **body)


@blp.post("/<int:invitation_id>/urls/import")
@blp.login_required
@owner_first
@blp.arguments(InvitationUrlImportSchema, location="files")
@blp.response(201, InvitationUrlImportResultSchema)
@blp.alt_response(403, schema="Error", description="`plan_limit_reached`")
@blp.alt_response(404, schema="Error")
@blp.alt_response(413, schema="Error", description=f"Over {IMPORT_MAX_MB} MB")
@blp.alt_response(
    422, schema="Error", description="Not a CSV with that header, or bad rows (`details.rows`)"
)
def import_links(form, invitation_id: int):
    """Guest links from a CSV guest list: every row, or none if any is wrong."""
    items = invitation_urls.import_guest_links(current_user, invitation_id, form["file"].read())
    return {"created": len(items), "items": items}


@blp.delete("/<int:invitation_id>/urls/<int:url_id>")
@blp.login_required
@blp.response(204)
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error", description="`conflict`: the main link stays")
def delete_link(invitation_id: int, url_id: int):
    """Deactivate a custom or guest link: off the public site at once, its code never reused."""
    invitation_urls.deactivate_link(current_user, invitation_id, url_id)


@blp.get("/<int:invitation_id>/urls/<int:url_id>/qr.svg")
@blp.login_required
@blp.response(200, SVG, content_type="image/svg+xml", description="The QR code as SVG")
@blp.alt_response(404, schema="Error")
def link_qr_svg(invitation_id: int, url_id: int):
    """The link's QR code as SVG, for print."""
    return _image(invitation_urls.qr_code(current_user, invitation_id, url_id, "svg"))


@blp.get("/<int:invitation_id>/urls/<int:url_id>/qr.png")
@blp.login_required
@blp.response(200, BINARY, content_type="image/png", description="The QR code as PNG")
@blp.alt_response(404, schema="Error")
def link_qr_png(invitation_id: int, url_id: int):
    """The link's QR code as PNG (10 pixels per module), for print."""
    return _image(invitation_urls.qr_code(current_user, invitation_id, url_id, "png"))


def _image(qr: invitation_urls.QrImage) -> Response:
    response = Response(qr.content, mimetype=qr.mimetype)
    response.cache_control.private = True
    response.cache_control.max_age = QR_MAX_AGE_SECONDS
    response.headers["Content-Disposition"] = f'inline; filename="{qr.filename}"'
    return response
