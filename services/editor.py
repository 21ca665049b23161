"""The editor: an invitation's content and its events timeline (docs/editor-and-media.md, "Editor").

Every save bumps `Invitation.version`, the editor's ETag and the public payload's cache key;
each write answers the version it made (read inside its transaction: after the commit
another save may already have moved it, and that one's ETag must not be handed out).
A data save sent with If-Match is a compare-and-set on that version: of two saves made from
the same version exactly one wins, the other is refused before anything is written.
"""

from sqlalchemy import select

from extensions import db
from models.invitation import Invitation
from models.invitation_data import InvitationData
from models.invitation_event import InvitationEvent
from models.invitation_media import InvitationMedia
from models.user import User
from services import preview_cards
from services.exceptions import NotFoundError, ValidationError
from services.invitations import bump_version, get_owned_invitation
from services.plan_rules import check_limit, require_feature
from utils.db import transactional

# Which kinds of media each media field of the data may name (all of the same invitation).
MEDIA_FIELDS = {
    "cover_media_id": ("cover", "photo"),
    "music_media_id": ("music",),
    "og_image_media_id": ("og_image", "photo", "cover"),
}


class EventNotFoundError(NotFoundError):
    message = "Event not found."


# --- Data ---------------------------------------------------------------------------------


@transactional
def get_data(user: User, invitation_id: int) -> tuple[InvitationData, int]:
    """The invitation's data row (made with its defaults if it has none yet) and version."""
    invitation = get_owned_invitation(user, invitation_id)
    version = invitation.version
    return _data_row(invitation), version


@transactional
def update_data(
    user: User, invitation_id: int, changes: dict, *, expected_versions: frozenset[int] | None
) -> tuple[InvitationData, int]:
    """Apply a partial edit; answer the data and the version this save made.

    `expected_versions` (from If-Match) must hold the current version; None means no
    If-Match was sent (or a blank one, or `*`): the save applies to whatever is current.
    Media ids must name media of this invitation of a fitting kind; `video_url` needs the
    plan's `video` feature and `music_enabled: true` its `music` feature.
    """
    invitation = get_owned_invitation(user, invitation_id, for_update=True)
    bump_version(invitation, from_versions=expected_versions)
    _check_media(invitation, changes)
    if changes.get("video_url") is not None:
        require_feature(invitation, "video")
    if changes.get("music_enabled") is True:
        require_feature(invitation, "music")
    data = _data_row(invitation)
    for name, value in changes.items():
        setattr(data, name, value)
    if "title" in changes:
        invitation.retitle(changes["title"])
    db.session.flush()
    preview_cards.refresh_after_commit(invitation_id)
    return data, invitation.version


def _check_media(invitation: Invitation, changes: dict) -> None:
    wanted = {name: changes[name] for name in MEDIA_FIELDS if changes.get(name) is not None}
    if not wanted:
        return
    media = {
        row.id: row
        for row in db.session.scalars(
            select(InvitationMedia).where(
                InvitationMedia.invitation_id == invitation.id,
                InvitationMedia.id.in_(set(wanted.values())),
            )
        )
    }
    problems = {}
    for name, media_id in wanted.items():
        kinds = MEDIA_FIELDS[name]
        row = media.get(media_id)
        if row is None:
            problems[name] = ["No media of this invitation has this id."]
        elif row.media_type not in kinds:
            problems[name] = [f"Must be media of type {' or '.join(kinds)}."]
    if problems:
        raise ValidationError(details=problems)


def _data_row(invitation: Invitation) -> InvitationData:
    data = db.session.scalar(
        select(InvitationData).where(InvitationData.invitation_id == invitation.id)
    )
    if data is None:
        data = InvitationData(invitation_id=invitation.id)
        db.session.add(data)
        db.session.flush()
    return data


# --- Events -------------------------------------------------------------------------------


def list_events(user: User, invitation_id: int) -> list[InvitationEvent]:
    invitation = get_owned_invitation(user, invitation_id)
    return _events(invitation)


@transactional
def create_event(user: User, invitation_id: int, fields: dict) -> tuple[InvitationEvent, int]:
    """A new event at the end of the timeline, within the plan's `max_events`.

    The invitation row is locked and its version bumped before counting: the UPDATE takes
    SQLite's write lock and MariaDB's row lock, so concurrent creates count one at a time.
    The events are read with a locking read, which on MariaDB sees the latest commit rather
    than the transaction's snapshot.
    """
    invitation = _locked(user, invitation_id)
    orders = db.session.scalars(
        select(InvitationEvent.display_order)
        .where(InvitationEvent.invitation_id == invitation.id)
        .with_for_update()
    ).all()
    check_limit(invitation, "max_events", len(orders))
    _check_times(fields.get("starts_at"), fields.get("ends_at"))
    event = InvitationEvent(
        invitation_id=invitation.id,
        display_order=max(orders, default=-1) + 1,
        **fields,
    )
    db.session.add(event)
    db.session.flush()
    return event, invitation.version


@transactional
def update_event(
    user: User, invitation_id: int, event_id: int, changes: dict
) -> tuple[InvitationEvent, int]:
    invitation = _locked(user, invitation_id)
    event = _event(invitation, event_id)
    _check_times(changes.get("starts_at", event.starts_at), changes.get("ends_at", event.ends_at))
    for name, value in changes.items():
        setattr(event, name, value)
    db.session.flush()
    return event, invitation.version


@transactional
def delete_event(user: User, invitation_id: int, event_id: int) -> int:
    """Remove one event; answers the version this made."""
    invitation = _locked(user, invitation_id)
    db.session.delete(_event(invitation, event_id))
    db.session.flush()
    return invitation.version


@transactional
def reorder_events(
    user: User, invitation_id: int, ids: list[int]
) -> tuple[list[InvitationEvent], int]:
    """Put the events in the order of `ids`, which must be all of them, once each."""
    invitation = _locked(user, invitation_id)
    events = {event.id: event for event in _events(invitation, lock=True)}
    if len(ids) != len(set(ids)) or set(ids) != set(events):
        raise ValidationError(
            details={"ids": ["Must list every event of this invitation exactly once."]}
        )
    for position, event_id in enumerate(ids):
        events[event_id].display_order = position
    db.session.flush()
    return [events[event_id] for event_id in ids], invitation.version


def _locked(user: User, invitation_id: int) -> Invitation:
    """The owner's invitation, locked, at its next version (event edits change what the
    public sees, so they bump it too)."""
    invitation = get_owned_invitation(user, invitation_id, for_update=True)
    bump_version(invitation)
    return invitation


def _events(invitation: Invitation, *, lock: bool = False) -> list[InvitationEvent]:
    query = (
        select(InvitationEvent)
        .where(InvitationEvent.invitation_id == invitation.id)
        .order_by(InvitationEvent.display_order, InvitationEvent.id)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def _event(invitation: Invitation, event_id: int) -> InvitationEvent:
    """One event of the invitation, read afresh and locked (a locking read sees the latest
    commit on MariaDB, not the transaction's snapshot)."""
    event = db.session.scalar(
        select(InvitationEvent)
        .where(InvitationEvent.id == event_id, InvitationEvent.invitation_id == invitation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if event is None:
        raise EventNotFoundError()
    return event


def _check_times(starts_at, ends_at) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValidationError(details={"ends_at": ["Must be after starts_at."]})
