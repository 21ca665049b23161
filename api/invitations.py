"""The signed-in customer's invitations: drafts, editing the basics, publishing."""

from flask_jwt_extended import current_user

from api.blueprint import Blueprint
from api.schemas.common import page_of
from api.schemas.invitations import (
    InvitationCreateSchema,
    InvitationQueryArgs,
    InvitationSchema,
    InvitationSummarySchema,
    InvitationUpdateSchema,
)
from services import invitations

blp = Blueprint("invitations", __name__, url_prefix="/api/invitations", description="Invitations")


@blp.get("")
@blp.login_required
@blp.arguments(InvitationQueryArgs, location="query")
@blp.response(200, page_of(InvitationSummarySchema))
def list_invitations(args):
    """Own invitations, newest first."""
    return invitations.list_invitations(current_user, **args)


@blp.post("")
@blp.login_required
@blp.arguments(InvitationCreateSchema)
@blp.response(201, InvitationSchema)
def create_invitation(body):
    """A draft from an active template, to edit before paying."""
    invitation = invitations.create_draft(current_user, **body)
    return invitations.get_invitation(current_user, invitation.id)


@blp.get("/<int:invitation_id>")
@blp.login_required
@blp.response(200, InvitationSchema)
@blp.alt_response(404, schema="Error")
def get_invitation(invitation_id: int):
    """One own invitation with its data, events, media and links."""
    return invitations.get_invitation(current_user, invitation_id)


@blp.patch("/<int:invitation_id>")
@blp.login_required
@blp.arguments(InvitationUpdateSchema)
@blp.response(200, InvitationSchema)
@blp.alt_response(404, schema="Error")
def update_invitation(changes, invitation_id: int):
    """Rename it or move it to another template."""
    invitations.update_invitation(current_user, invitation_id, changes)
    return invitations.get_invitation(current_user, invitation_id)


@blp.delete("/<int:invitation_id>")
@blp.login_required
@blp.response(204)
@blp.alt_response(404, schema="Error")
def delete_invitation(invitation_id: int):
    """Delete it: off the public site at once, its files removed."""
    invitations.delete_invitation(current_user, invitation_id)


@blp.post("/<int:invitation_id>/publish")
@blp.login_required
@blp.response(200, InvitationSchema)
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error", description="`payment_required`: no paid plan yet")
@blp.alt_response(410, schema="Error", description="`invitation_expired`")
@blp.alt_response(422, schema="Error", description="Data needed to publish is missing")
def publish_invitation(invitation_id: int):
    """Put it online (needs a paid plan, an event date and a name)."""
    invitations.publish(current_user, invitation_id)
    return invitations.get_invitation(current_user, invitation_id)


@blp.post("/<int:invitation_id>/unpublish")
@blp.login_required
@blp.response(200, InvitationSchema)
@blp.alt_response(404, schema="Error")
def unpublish_invitation(invitation_id: int):
    """Take it offline; it can be published again."""
    invitations.unpublish(current_user, invitation_id)
    return invitations.get_invitation(current_user, invitation_id)
