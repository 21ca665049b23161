"""Admin: every customer's invitations, and taking one down."""

from flask_jwt_extended import current_user

from api.admin import blp
from api.schemas.common import page_of
from api.schemas.invitations import (
    AdminInvitationQueryArgs,
    AdminInvitationSchema,
    TakeDownSchema,
)
from services import invitations


@blp.get("/invitations")
@blp.admin_required
@blp.arguments(AdminInvitationQueryArgs, location="query")
@blp.response(200, page_of(AdminInvitationSchema))
def list_invitations(args):
    """Invitations of every customer, newest first; `q` matches e-mail, title, names, codes."""
    return invitations.admin_list_invitations(**args)


@blp.post("/invitations/<int:invitation_id>/unpublish")
@blp.admin_required
@blp.arguments(TakeDownSchema, required=False)
@blp.response(200, AdminInvitationSchema)
@blp.alt_response(404, schema="Error")
def take_down(body, invitation_id: int):
    """Take an invitation down: its public page, links and cached copies go at once, and its
    owner cannot publish it again."""
    invitations.admin_take_down(current_user, invitation_id, reason=body.get("reason"))
    return invitations.admin_get_invitation(invitation_id)
