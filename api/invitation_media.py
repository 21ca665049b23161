"""The media of an own invitation: uploads (images and music), captions, order, deletion."""

from flask_jwt_extended import current_user

from api.blueprint import Blueprint
from api.ownership import owner_first
from api.schemas.common import list_of
from api.schemas.invitations import InvitationMediaSchema
from api.schemas.media import (
    MediaOrderSchema,
    MediaUpdateSchema,
    MediaUploadSchema,
)
from services import file_upload_service
from utils.rate_limits import rate_limit

blp = Blueprint(
    "invitation_media", __name__, url_prefix="/api/editor", description="Invitation media"
)


@blp.get("/<int:invitation_id>/media")
@blp.login_required
@blp.response(200, list_of(InvitationMediaSchema))
@blp.alt_response(404, schema="Error")
def list_media(invitation_id: int):
    """The invitation's media in display order."""
    return {"items": file_upload_service.list_media(current_user, invitation_id)}


@blp.post("/<int:invitation_id>/media")
@rate_limit("uploads")
@blp.login_required
@owner_first
@blp.arguments(MediaUploadSchema, location="files")
@blp.response(201, InvitationMediaSchema)
@blp.alt_response(403, schema="Error", description="`plan_limit_reached` / `feature_not_in_plan`")
@blp.alt_response(404, schema="Error")
@blp.alt_response(413, schema="Error", description="Over MAX_UPLOAD_MB")
@blp.alt_response(415, schema="Error", description="Not JPEG, PNG, WebP, MP3 or M4A")
@blp.alt_response(
    422,
    schema="Error",
    description="Corrupt, data missing, over 40 megapixels or over the decode budget",
)
@blp.alt_response(429, schema="Error", description="RATELIMIT_UPLOADS per IP")
@blp.alt_response(502, schema="Error", description="`storage_error`")
@blp.alt_response(503, schema="Error", description="Every image decoder busy; `Retry-After`")
def upload_media(form, invitation_id: int):
    """Upload one file: images are re-encoded without metadata, with a thumbnail; a cover,
    og_image or gift_qr replaces the previous one."""
    return file_upload_service.upload_media(
        current_user,
        invitation_id,
        media_type=form["media_type"],
        content=form["file"].read(),
        caption=form.get("caption"),
    )


@blp.put("/<int:invitation_id>/media/order")
@blp.login_required
@owner_first
@blp.arguments(MediaOrderSchema)
@blp.response(200, list_of(InvitationMediaSchema))
@blp.alt_response(404, schema="Error")
@blp.alt_response(422, schema="Error", description="Also: `ids` not exactly this invitation's")
def reorder_media(body, invitation_id: int):
    """Put the media in the order of `ids` (every media id of the invitation, once each)."""
    return {"items": file_upload_service.reorder_media(current_user, invitation_id, body["ids"])}


@blp.patch("/<int:invitation_id>/media/<int:media_id>")
@blp.login_required
@owner_first
@blp.arguments(MediaUpdateSchema)
@blp.response(200, InvitationMediaSchema)
@blp.alt_response(404, schema="Error")
def update_media(body, invitation_id: int, media_id: int):
    """Change the caption."""
    return file_upload_service.update_caption(
        current_user, invitation_id, media_id, body["caption"]
    )


@blp.delete("/<int:invitation_id>/media/<int:media_id>")
@blp.login_required
@blp.response(204)
@blp.alt_response(404, schema="Error")
def delete_media(invitation_id: int, media_id: int):
    """Delete it; its file and thumbnail are removed."""
    file_upload_service.delete_media(current_user, invitation_id, media_id)
