"""A customer's drafts, their content, publishing (docs/editor-and-media.md, "Invitations")."""

from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from models.invitation import Invitation
from models.invitation_data import InvitationData
from models.invitation_url import InvitationUrl
from models.order import HELD_PAYMENT_STATUSES
from models.template import Template
from models.user import User
from services import audit, preview_cards, public_cache
from services.exceptions import (
    ConflictError,
    GoneError,
    InvalidStateError,
    NotFoundError,
    PreconditionFailedError,
    ValidationError,
)
from services.provisioning import build_invitation
from utils.db import execute_dml, text_search, transactional
from utils.pagination import Page, paginate
from utils.time import utcnow

NAME_FIELDS = ("couple_bride_name", "couple_groom_name", "honoree_name")


class InvitationNotFoundError(NotFoundError):
    message = "Invitation not found."


class PaymentRequiredError(ConflictError):
    code = "payment_required"
    message = "Publishing needs a paid plan: buy one for this invitation first."


class TakenDownError(InvalidStateError):
    message = "An administrator took this invitation down; contact support to publish it again."


class InvitationExpiredError(GoneError):
    message = "This invitation's time online has ended; it can no longer be published."


def get_owned_invitation(
    user: User, invitation_id: int, *, for_update: bool = False, options=()
) -> Invitation:
    """The user's own, not deleted invitation; anyone else's is the same 404 as a missing one.

    `for_update` locks the row (MySQL/MariaDB) and reads it afresh, so checks made under it
    (plan limits, versions) hold until commit; SQLite serialises writers on its own once a
    transaction has written.
    """
    query = select(Invitation).where(
        Invitation.id == invitation_id,
        Invitation.user_id == user.id,
        Invitation.deleted_at.is_(None),
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    invitation = db.session.scalar(query.options(*options))
    if invitation is None:
        raise InvitationNotFoundError()
    return invitation


def bump_version(invitation: Invitation, *, from_versions: frozenset[int] | None = None) -> None:
    """A new version (the editor's ETag, the public payload's cache key), as one atomic UPDATE.

    With `from_versions` (the editor's If-Match) it is a compare-and-set: only from one of
    those versions, else 412 and nothing changes; of concurrent saves from one version the
    database lets exactly one match. On SQLite the UPDATE also takes the write lock, so what
    the caller counts or checks after it cannot be raced until this transaction ends.
    """
    conditions = [Invitation.id == invitation.id]
    if from_versions is not None:
        conditions.append(Invitation.version.in_(sorted(from_versions)))
    result = execute_dml(
        update(Invitation)
        .where(*conditions)
        .values(version=Invitation.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise PreconditionFailedError()
    db.session.refresh(invitation, ["version"])
    public_cache.invitation_changed(invitation.id, invitation.version)


# --- Reading ------------------------------------------------------------------------------


def list_invitations(user: User, *, page: int, per_page: int) -> Page:
    """Own invitations, newest first, each with its plan, main code and event date."""
    query = (
        select(Invitation)
        .where(Invitation.user_id == user.id, Invitation.deleted_at.is_(None))
        .options(
            joinedload(Invitation.plan),
            joinedload(Invitation.data),
            selectinload(Invitation.main_url),
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    return paginate(query, page, per_page)


def get_invitation(user: User, invitation_id: int) -> Invitation:
    """One own invitation with its data, events, media and links: a fixed number of queries
    (the row with its template, plan and order; then one per collection)."""
    return get_owned_invitation(
        user,
        invitation_id,
        options=(
            joinedload(Invitation.template),
            joinedload(Invitation.plan),
            joinedload(Invitation.order),
            joinedload(Invitation.data),
            selectinload(Invitation.events),
            selectinload(Invitation.media),
            selectinload(Invitation.urls).selectinload(InvitationUrl.response),
            selectinload(Invitation.main_url),
        ),
    )


# --- Writing ------------------------------------------------------------------------------


@transactional
def create_draft(user: User, *, template_id: int, title: str | None = None) -> Invitation:
    """A draft from an active template: its design defaults, a data row, a random main code."""
    template = _active_template(template_id)
    invitation = build_invitation(
        user_id=user.id, template_id=template.id, title=title or template.name
    )
    db.session.flush()
    return invitation


@transactional
def update_invitation(user: User, invitation_id: int, changes: dict) -> Invitation:
    """Rename, or move to another active template.

    A paid invitation may move only to a template costing no more than its own: the order
    paid for that one.
    """
    invitation = get_owned_invitation(user, invitation_id, for_update=True)
    if "title" in changes:
        invitation.retitle(changes["title"])
    if "template_id" in changes and changes["template_id"] != invitation.template_id:
        template = _active_template(changes["template_id"])
        if invitation.order is not None and template.price > invitation.template.price:
            raise ValidationError(
                details={
                    "template_id": [
                        "A paid invitation can only move to a template of the same price or less."
                    ]
                }
            )
        invitation.template = template
    bump_version(invitation)
    preview_cards.refresh_after_commit(invitation_id)
    return invitation


@transactional
def delete_invitation(user: User, invitation_id: int) -> None:
    """Take the invitation out of every list and off the public site; its files are removed
    once the deletion has committed. The row stays (soft delete): its order still counts it
    as delivered."""
    invitation = get_owned_invitation(user, invitation_id, for_update=True)
    from services.file_upload_service import delete_media_rows

    invitation.deleted_at = utcnow()
    invitation.is_published = False
    for url in invitation.urls:
        url.is_active = False
    delete_media_rows(list(invitation.media))
    preview_cards.forget_preview_card(invitation)
    bump_version(invitation)


@transactional
def publish(user: User, invitation_id: int) -> Invitation:
    """Put the invitation online: it needs a paid plan, an event date and a name.

    Publishing again is fine; `published_at` keeps the first publication, which starts the
    plan's `online_days`.
    """
    invitation = get_owned_invitation(user, invitation_id, for_update=True)
    if invitation.taken_down_at is not None:
        raise TakenDownError()
    order = invitation.order
    if order is None or order.status not in HELD_PAYMENT_STATUSES or invitation.plan is None:
        raise PaymentRequiredError()
    missing = _missing_for_publication(invitation)
    if missing:
        raise ValidationError("Some data is needed before publishing.", details=missing)
    now = utcnow()
    if invitation.online_until is not None and invitation.online_until <= now:
        raise InvitationExpiredError()
    if invitation.published_at is None:
        invitation.published_at = now
    invitation.is_published = True
    bump_version(invitation)
    preview_cards.refresh_after_commit(invitation_id)
    return invitation


@transactional
def unpublish(user: User, invitation_id: int) -> Invitation:
    invitation = get_owned_invitation(user, invitation_id, for_update=True)
    invitation.is_published = False
    bump_version(invitation)
    return invitation


# --- Admin --------------------------------------------------------------------------------


def admin_list_invitations(
    *, page: int, per_page: int, q: str | None = None, is_published: bool | None = None
) -> Page:
    """Every invitation not deleted, newest first; `q` matches the owner's e-mail, the title,
    the couple's or honoree's names and any of its codes."""
    query = (
        select(Invitation)
        .where(Invitation.deleted_at.is_(None))
        .options(
            joinedload(Invitation.user),
            joinedload(Invitation.plan),
            joinedload(Invitation.data),
            selectinload(Invitation.main_url),
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    if is_published is not None:
        query = query.where(Invitation.is_published.is_(is_published))
    if (contains := text_search(q)) is not None:
        names = (
            InvitationData.couple_bride_name,
            InvitationData.couple_groom_name,
            InvitationData.honoree_name,
        )
        query = query.where(
            or_(
                contains(Invitation.title),
                Invitation.user.has(contains(User.email)),
                Invitation.data.has(or_(*(contains(name) for name in names))),
                Invitation.urls.any(contains(InvitationUrl.code)),
            )
        )
    return paginate(query, page, per_page)


def admin_get_invitation(invitation_id: int) -> Invitation:
    invitation = db.session.scalar(
        select(Invitation)
        .where(Invitation.id == invitation_id, Invitation.deleted_at.is_(None))
        .options(
            joinedload(Invitation.user),
            joinedload(Invitation.plan),
            joinedload(Invitation.data),
            selectinload(Invitation.main_url),
        )
    )
    if invitation is None:
        raise InvitationNotFoundError()
    return invitation


@transactional
def admin_take_down(admin: User, invitation_id: int, *, reason: str | None = None) -> Invitation:
    """Unpublish an invitation for a reason its owner cannot undo: the public page, its links
    and cached copies go away on every worker once this commits."""
    invitation = db.session.scalar(
        select(Invitation)
        .where(Invitation.id == invitation_id, Invitation.deleted_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if invitation is None:
        raise InvitationNotFoundError()
    before = audit.snapshot(invitation)
    invitation.is_published = False
    invitation.taken_down_at = utcnow()
    invitation.take_down_reason = reason
    bump_version(invitation)
    audit.record(admin, "take_down", invitation, before=before)
    return invitation


def _active_template(template_id: int) -> Template:
    template = db.session.get(Template, template_id)
    if template is None or not template.is_active:
        raise ValidationError(details={"template_id": ["No active template has this id."]})
    return template


def _missing_for_publication(invitation: Invitation) -> dict[str, list[str]]:
    data = invitation.data
    missing = {}
    if data is None or data.event_date is None:
        missing["event_date"] = ["Required to publish."]
    if data is None or not any((getattr(data, name) or "").strip() for name in NAME_FIELDS):
        missing["couple_or_honoree_name"] = [
            "Required to publish: couple_bride_name, couple_groom_name or honoree_name."
        ]
    return missing
