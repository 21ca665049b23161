"""What guests see of an invitation (docs/guest-side.md, "The guest side"): its public page, cached.

Loading a page costs three SQL statements whatever its size: the link with its invitation,
data, template, plan and answer; the events; the media. The rendered page is cached by code
for the versions it was built from (utils/page_cache.py), and every write that changes what
a page shows bumps one of those versions (services/public_cache.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from models.invitation import Invitation
from models.invitation_data import InvitationData
from models.invitation_event import InvitationEvent
from models.invitation_media import InvitationMedia
from models.invitation_response import InvitationResponse
from models.invitation_url import KIND_GUEST, InvitationUrl
from models.user import User
from services.exceptions import GoneError, NotFoundError
from services.invitations import get_owned_invitation
from services.plan_rules import plan_features
from utils import page_cache
from utils.media import public_base_url
from utils.time import lima_date, lima_day_end, utcnow

# Codes are lower-case letters, digits and hyphens; anything else is no code at all.
CODE_FORMAT = re.compile(r"^[a-z0-9-]{3,64}$")

# Data fields a guest never sees: the owner's settings and the crawler's own fields.
PRIVATE_DATA_FIELDS = (
    "rsvp_notify_owner",
    "whatsapp_message",
    "default_max_guests",
    "og_title",
    "og_description",
    "og_image_media_id",
)
GIFT_FIELDS = (
    "gifts_message",
    "gift_registry_url",
    "bank_name",
    "bank_account_holder",
    "bank_account_number",
    "bank_cci",
    "yape_number",
    "plin_number",
)
# Sections a template may leave out (`sections`); their content is then not shown.
SECTION_FIELDS = {
    "story": ("story_text",),
    "gallery": ("gallery_title",),
    "gifts": GIFT_FIELDS,
}
MEDIA_SHOWN_ALWAYS = frozenset({"cover"})
# What taking an answer needs of the data (services/rsvp.py).
RSVP_DATA_FIELDS = (
    InvitationData.rsvp_enabled,
    InvitationData.rsvp_deadline,
    InvitationData.rsvp_message,
    InvitationData.default_max_guests,
    InvitationData.rsvp_notify_owner,
)


class PublicPageNotFoundError(NotFoundError):
    message = "This invitation does not exist or is not published."


class PublicInvitationExpiredError(GoneError):
    message = "This invitation's time online has ended."


@dataclass
class PublicView:
    """Everything a guest's page shows, decided here; api/schemas/public.py renders it."""

    code: str
    invitation: Invitation
    data: InvitationData | None
    events: list[InvitationEvent]
    media: list[InvitationMedia]
    rsvp: dict
    guest: dict | None
    calendar_url: str
    hidden_data_fields: frozenset[str] = field(default_factory=frozenset)

    @property
    def title(self) -> str:
        return self.invitation.title

    @property
    def template(self):
        return self.invitation.template


# --- Loading ------------------------------------------------------------------------------


def load_link(code: str, *, with_content: bool = True) -> InvitationUrl:
    """The active link of a published, online invitation, with what its page needs (or,
    without `with_content`, what an answer or a visit needs).

    404 for an unknown or inactive code or an unpublished or deleted invitation; 410 once the
    plan's time online has ended.
    """
    code = code.lower()
    if not CODE_FORMAT.match(code):
        raise PublicPageNotFoundError()
    if with_content:
        invitation_options = [
            joinedload(Invitation.data),
            joinedload(Invitation.template),
            joinedload(Invitation.plan),
            selectinload(Invitation.events),
            selectinload(Invitation.media),
        ]
    else:
        # An RSVP or a visit reads a handful of the data's hundred columns.
        invitation_options = [
            joinedload(Invitation.data).load_only(*RSVP_DATA_FIELDS),
            joinedload(Invitation.plan),
        ]
    url = db.session.scalar(
        select(InvitationUrl)
        .where(InvitationUrl.code == code)
        .options(
            joinedload(InvitationUrl.invitation).options(*invitation_options),
            joinedload(InvitationUrl.response),
        )
    )
    if url is None or not url.is_active or not is_visible(url.invitation):
        raise PublicPageNotFoundError()
    online_until = url.invitation.online_until
    if online_until is not None and online_until <= utcnow():
        raise PublicInvitationExpiredError()
    return url


def visible_invitation_id(code: str) -> int | None:
    """The invitation `code` opens for guests (any spelling, any of its codes), or None where
    `load_link` would answer 404: one indexed query, none for what is no code at all."""
    code = code.lower()
    if not CODE_FORMAT.match(code):
        return None
    return db.session.scalar(
        select(InvitationUrl.invitation_id)
        .join(Invitation, Invitation.id == InvitationUrl.invitation_id)
        .where(
            InvitationUrl.code == code,
            InvitationUrl.is_active.is_(True),
            Invitation.is_published.is_(True),
            Invitation.deleted_at.is_(None),
        )
    )


def is_visible(invitation: Invitation) -> bool:
    return invitation.is_published and invitation.deleted_at is None


def current_versions(code: str) -> page_cache.Versions | None:
    """The versions a cached page of `code` must have been built from (one indexed query)."""
    row = db.session.execute(
        select(InvitationUrl.id, InvitationUrl.version, Invitation.id, Invitation.version)
        .join(Invitation, Invitation.id == InvitationUrl.invitation_id)
        .where(InvitationUrl.code == code)
    ).first()
    if row is None:
        return None
    url_id, url_version, invitation_id, invitation_version = row
    return page_cache.Versions(invitation_id, invitation_version, url_id, url_version)


# --- The page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedPage:
    body: bytes
    etag: str


def public_page(code: str, render: Callable[[PublicView], bytes]) -> RenderedPage:
    """The page of `code`, from the cache when it holds the current one."""
    code = code.lower()
    cache = page_cache.page_cache()
    if CODE_FORMAT.match(code):
        cached = cache.get(code, lambda: current_versions(code))
        if cached is not None:
            page_cache.count("hit")
            return RenderedPage(cached.body, cached.etag)
    url = load_link(code)
    view = build_view(url)
    body = render(view)
    etag = hashlib.sha256(body).hexdigest()[:32]
    page_cache.count("miss")
    versions = page_cache.Versions(url.invitation_id, url.invitation.version, url.id, url.version)
    cache.put(code, versions, page_cache.CachedPage(body, etag, _valid_until(view).timestamp()))
    return RenderedPage(body, etag)


def preview_view(user: User, invitation_id: int) -> PublicView:
    """The owner's preview: the page as guests will see it through the main code, also while
    unpublished. Never cached."""
    invitation = get_owned_invitation(
        user,
        invitation_id,
        options=(
            joinedload(Invitation.data),
            joinedload(Invitation.template),
            joinedload(Invitation.plan),
            joinedload(Invitation.main_url),
            selectinload(Invitation.events),
            selectinload(Invitation.media),
        ),
    )
    main = invitation.main_url
    code = main.code if main is not None else ""
    return _view(invitation, code, guest_link=None)


def build_view(url: InvitationUrl) -> PublicView:
    return _view(url.invitation, url.code, guest_link=url if url.kind == KIND_GUEST else None)


def _view(invitation: Invitation, code: str, guest_link: InvitationUrl | None) -> PublicView:
    data = invitation.data
    features = plan_features(invitation)
    hidden = set(PRIVATE_DATA_FIELDS)
    shown_sections = _shown_sections(data)
    gifts_on = data is not None and data.gifts_enabled and "gifts" in shown_sections
    gallery_on = data is not None and data.gallery_enabled and "gallery" in shown_sections
    music_on = data is not None and data.music_enabled and bool(features.get("music"))
    for section, names in SECTION_FIELDS.items():
        if section not in shown_sections:
            hidden.update(names)
    if not gifts_on:
        hidden.update(GIFT_FIELDS)
    if not music_on:
        hidden.add("music_media_id")
    if not features.get("video"):
        hidden.add("video_url")
    shown_types = set(MEDIA_SHOWN_ALWAYS)
    if gallery_on:
        shown_types.add("photo")
    if gifts_on:
        shown_types.add("gift_qr")
    if music_on:
        shown_types.add("music")
    return PublicView(
        code=code,
        invitation=invitation,
        data=data,
        events=list(invitation.events),
        media=[item for item in invitation.media if item.media_type in shown_types],
        rsvp=rsvp_state(invitation, guest_link),
        guest=_guest_block(guest_link),
        calendar_url=f"{public_base_url()}/api/public/invitations/{code}/calendar.ics",
        hidden_data_fields=frozenset(hidden),
    )


def _shown_sections(data: InvitationData | None) -> set[str]:
    """Sections named by the invitation's `sections` list; all of them when it has none."""
    if data is None or not isinstance(data.sections, list):
        return set(SECTION_FIELDS)
    return {name for name in data.sections if isinstance(name, str)}


def rsvp_state(invitation: Invitation, guest_link: InvitationUrl | None) -> dict:
    """`enabled`: the invitation takes answers at all; `open`: it takes them today (Lima)."""
    data = invitation.data
    enabled = bool(data is not None and data.rsvp_enabled and plan_features(invitation).get("rsvp"))
    deadline = data.rsvp_deadline if data is not None else None
    return {
        "enabled": enabled,
        "open": enabled and is_visible(invitation) and not deadline_passed(deadline),
        "deadline": deadline,
        "message": data.rsvp_message if data is not None else None,
        "max_guests": max_party_size(invitation, guest_link),
    }


def deadline_passed(deadline: date | None, now: datetime | None = None) -> bool:
    """Answers are taken through the whole deadline day in Lima, whatever the server's zone."""
    if deadline is None:
        return False
    now = now or utcnow()
    return lima_date(now) > deadline


def max_party_size(invitation: Invitation, guest_link: InvitationUrl | None) -> int:
    """A guest link's passes; through the main or custom code the invitation's default (or
    RSVP_MAX_PARTY_SIZE)."""
    if guest_link is not None and guest_link.max_guests:
        return guest_link.max_guests
    cap = int(current_app.config["RSVP_MAX_PARTY_SIZE"])
    default = invitation.data.default_max_guests if invitation.data is not None else None
    return min(default, cap) if default and default > 0 else cap


def _guest_block(guest_link: InvitationUrl | None) -> dict | None:
    if guest_link is None:
        return None
    return {
        "guest_name": guest_link.guest_name,
        "max_guests": guest_link.max_guests,
        "response": _answer(guest_link.response),
    }


def _answer(response: InvitationResponse | None) -> dict | None:
    if response is None:
        return None
    return {
        "status": response.status,
        "number_of_guests": response.number_of_guests,
        "message": response.message,
        "dietary_restrictions": response.dietary_restrictions,
        "updated_at": response.updated_at,
    }


def _valid_until(view: PublicView) -> datetime:
    """When the page may change with no write at all: the RSVP closing after its deadline
    day, or the invitation's time online ending."""
    limits = [utcnow() + timedelta(days=1)]
    deadline = view.rsvp["deadline"]
    closing = lima_day_end(deadline) if view.rsvp["open"] and deadline is not None else None
    if closing is not None:
        limits.append(closing)
    if view.invitation.online_until is not None:
        limits.append(view.invitation.online_until)
    return min(limits)


def display_names(data: InvitationData | None) -> str:
    """`Ana & Luis`, or the honoree's name; empty when none is set."""
    if data is None:
        return ""
    couple = [name.strip() for name in (data.couple_bride_name, data.couple_groom_name) if name]
    couple = [name for name in couple if name]
    return " & ".join(couple) if couple else (data.honoree_name or "").strip()


def publish_versions(kind: str, versions: dict[int, int]) -> None:
    """After a commit: tell the shared cache these are the current versions."""
    page_cache.page_cache().publish(kind, versions)
