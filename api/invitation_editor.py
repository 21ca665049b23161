"""The editor of an own invitation: its data (ETag / If-Match) and its events timeline."""

import re

from flask import request
from flask_jwt_extended import current_user

from api.blueprint import Blueprint
from api.ownership import owner_first
from api.schemas.common import list_of
from api.schemas.editor import (
    EditorDataSchema,
    EditorDataUpdateSchema,
    EditorEventSchema,
    EventCreateSchema,
    EventOrderSchema,
    EventUpdateSchema,
    IfMatchHeader,
)
from api.schemas.public import PublicInvitationSchema
from services import editor, public_pages

blp = Blueprint(
    "invitation_editor", __name__, url_prefix="/api/editor", description="Invitation editor"
)

ETAG_HEADER = {
    "ETag": {
        "description": 'The invitation\'s current version (`"v7"`): send it back as If-Match.',
        "schema": {"type": "string"},
        "required": True,
    }
}
STRONG_VERSION = re.compile(r"v([0-9]{1,18})")


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"v{version}"'}


def expected_versions() -> frozenset[int] | None:
    """The versions If-Match names; None when it is absent, blank or `*` (any version).

    Only strong tags of the form "v<number>" can match; anything else matches nothing.
    """
    if not request.headers.get("If-Match", "").strip():
        return None
    tags = request.if_match
    if tags.star_tag:
        return None
    versions = set()
    for tag in tags.as_set():
        # An empty tag (`""`) is parsed as None: it names no version.
        match = STRONG_VERSION.fullmatch(tag) if isinstance(tag, str) else None
        if match:
            versions.add(int(match.group(1)))
    return frozenset(versions)


# --- Data ---------------------------------------------------------------------------------


@blp.get("/<int:invitation_id>/data")
@blp.login_required
@blp.response(200, EditorDataSchema, headers=ETAG_HEADER)
@blp.alt_response(404, schema="Error")
def get_data(invitation_id: int):
    """Every editable field of the invitation's content, with its ETag."""
    data, version = editor.get_data(current_user, invitation_id)
    return data, etag(version)


@blp.patch("/<int:invitation_id>/data")
@blp.login_required
@owner_first
@blp.arguments(IfMatchHeader, location="headers")
@blp.arguments(EditorDataUpdateSchema)
@blp.response(200, EditorDataSchema, headers=ETAG_HEADER)
@blp.alt_response(403, schema="Error", description="`feature_not_in_plan` (video, music)")
@blp.alt_response(404, schema="Error")
@blp.alt_response(412, schema="Error", description="`precondition_failed`: stale If-Match")
@blp.alt_response(422, schema="Error", description="Also: a media id not of this invitation")
def update_data(_headers, changes, invitation_id: int):
    """Change some fields (`null` clears one); answers the whole data and its new ETag."""
    data, version = editor.update_data(
        current_user, invitation_id, changes, expected_versions=expected_versions()
    )
    return data, etag(version)


# --- Events -------------------------------------------------------------------------------


@blp.get("/<int:invitation_id>/events")
@blp.login_required
@blp.response(200, list_of(EditorEventSchema))
@blp.alt_response(404, schema="Error")
def list_events(invitation_id: int):
    """The timeline in display order."""
    return {"items": editor.list_events(current_user, invitation_id)}


@blp.post("/<int:invitation_id>/events")
@blp.login_required
@owner_first
@blp.arguments(EventCreateSchema)
@blp.response(201, EditorEventSchema, headers=ETAG_HEADER)
@blp.alt_response(403, schema="Error", description="`plan_limit_reached` (max_events)")
@blp.alt_response(404, schema="Error")
@blp.alt_response(422, schema="Error", description="Also: `ends_at` not after `starts_at`")
def create_event(body, invitation_id: int):
    """A new event at the end of the timeline."""
    event, version = editor.create_event(current_user, invitation_id, body)
    return event, etag(version)


@blp.put("/<int:invitation_id>/events/order")
@blp.login_required
@owner_first
@blp.arguments(EventOrderSchema)
@blp.response(200, list_of(EditorEventSchema), headers=ETAG_HEADER)
@blp.alt_response(404, schema="Error")
@blp.alt_response(422, schema="Error", description="Also: `ids` not exactly this invitation's")
def reorder_events(body, invitation_id: int):
    """Put the events in the order of `ids` (every event id of the invitation, once each)."""
    events, version = editor.reorder_events(current_user, invitation_id, body["ids"])
    return {"items": events}, etag(version)


@blp.patch("/<int:invitation_id>/events/<int:event_id>")
@blp.login_required
@owner_first
@blp.arguments(EventUpdateSchema)
@blp.response(200, EditorEventSchema, headers=ETAG_HEADER)
@blp.alt_response(404, schema="Error")
@blp.alt_response(422, schema="Error", description="Also: `ends_at` not after `starts_at`")
def update_event(changes, invitation_id: int, event_id: int):
    """Change some fields of one event."""
    event, version = editor.update_event(current_user, invitation_id, event_id, changes)
    return event, etag(version)


@blp.delete("/<int:invitation_id>/events/<int:event_id>")
@blp.login_required
@blp.response(204, headers=ETAG_HEADER)
@blp.alt_response(404, schema="Error")
def delete_event(invitation_id: int, event_id: int):
    """Remove one event."""
    version = editor.delete_event(current_user, invitation_id, event_id)
    return "", etag(version)


# --- Preview ------------------------------------------------------------------------------


@blp.get("/<int:invitation_id>/preview")
@blp.login_required
@blp.response(200, PublicInvitationSchema)
@blp.alt_response(404, schema="Error")
def preview(invitation_id: int):
    """The public page as guests will see it through the main code, also while unpublished."""
    return public_pages.preview_view(current_user, invitation_id)
