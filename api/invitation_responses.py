"""The couple's RSVP dashboard: answers, summary and forecast, history, activity, exports."""

from flask import Response, stream_with_context
from flask_jwt_extended import current_user

from api.blueprint import Blueprint
from api.schemas.common import list_of, page_of
from api.schemas.invitation_responses import (
    ActivityQueryArgs,
    ActivitySchema,
    ExportQueryArgs,
    InvitationResponseSchema,
    ResponseChangeSchema,
    ResponseQueryArgs,
    RsvpSummarySchema,
)
from services import invitation_responses
from services.invitation_responses import XLSX_CONTENT_TYPE

blp = Blueprint(
    "invitation_responses",
    __name__,
    url_prefix="/api/invitations",
    description="RSVP dashboard",
)

EXPORT_DESCRIPTION = (
    "The answers as a spreadsheet attachment: `text/csv; charset=utf-8` (UTF-8 with a BOM, "
    "one header row) by default, or with `format=xlsx` the same rows as an Excel workbook."
)
ATTACHMENT_HEADER = {
    "Content-Disposition": {
        "description": '`attachment; filename="invitados-<id>.csv"` (`.xlsx` for a workbook).',
        "schema": {"type": "string"},
        "required": True,
    }
}


@blp.get("/<int:invitation_id>/responses")
@blp.login_required
@blp.arguments(ResponseQueryArgs, location="query")
@blp.response(200, page_of(InvitationResponseSchema))
@blp.alt_response(404, schema="Error")
def list_responses(args, invitation_id: int):
    """The guests' answers, newest first, each with its guest link."""
    return invitation_responses.list_responses(current_user, invitation_id, **args)


@blp.get("/<int:invitation_id>/responses/summary")
@blp.login_required
@blp.response(200, RsvpSummarySchema)
@blp.alt_response(404, schema="Error")
def get_summary(invitation_id: int):
    """Counts of answers, guests and passes, and the expected guests."""
    return invitation_responses.get_summary(current_user, invitation_id)


@blp.get("/<int:invitation_id>/responses/activity")
@blp.login_required
@blp.arguments(ActivityQueryArgs, location="query")
@blp.response(200, page_of(ActivitySchema))
@blp.alt_response(404, schema="Error")
def list_activity(args, invitation_id: int):
    """New and changed answers, newest first."""
    return invitation_responses.list_activity(current_user, invitation_id, **args)


@blp.get("/<int:invitation_id>/responses/export")
@blp.login_required
@blp.arguments(ExportQueryArgs, location="query")
@blp.response(
    200,
    {"type": "string"},
    content_type="text/csv",
    description=EXPORT_DESCRIPTION,
    headers=ATTACHMENT_HEADER,
)
@blp.alt_response(
    200,
    schema={"type": "string", "format": "binary"},
    content_type=XLSX_CONTENT_TYPE,
    description=EXPORT_DESCRIPTION,
    headers=ATTACHMENT_HEADER,
    success=True,
)
@blp.alt_response(404, schema="Error")
def export_responses(args, invitation_id: int):
    """Download the answers as a spreadsheet (CSV or Excel), streamed."""
    export = invitation_responses.export_responses(
        current_user, invitation_id, file_format=args["format"]
    )
    disposition = f'attachment; filename="{export.filename}"'
    headers = {"Content-Disposition": disposition, "Cache-Control": "private, no-store"}
    return Response(
        stream_with_context(export.chunks), content_type=export.content_type, headers=headers
    )


@blp.get("/<int:invitation_id>/responses/<int:response_id>/history")
@blp.login_required
@blp.response(200, list_of(ResponseChangeSchema))
@blp.alt_response(404, schema="Error")
def get_history(invitation_id: int, response_id: int):
    """Every creation and change of one answer, oldest first."""
    return {"items": invitation_responses.get_history(current_user, invitation_id, response_id)}


@blp.delete("/<int:invitation_id>/responses/<int:response_id>")
@blp.login_required
@blp.response(204)
@blp.alt_response(404, schema="Error")
def delete_response(invitation_id: int, response_id: int):
    """Remove one answer and its history; the guest may answer again."""
    invitation_responses.delete_response(current_user, invitation_id, response_id)
