"""`/r/<code>` (README, "Short links"): a counted visit for people, a preview for crawlers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from extensions import db
from models.invitation_url import InvitationUrl
from services.public_pages import PublicView, build_view, display_names, load_link
from utils.db import transactional
from utils.links import short_link_url
from utils.media import public_base_url
from utils.spanish_dates import long_date
from utils.time import LIMA, utcnow

MAX_TITLE = 65
MAX_DESCRIPTION = 155
DEFAULT_DESCRIPTION = "Estás invitado. Abre la invitación para ver los detalles y confirmar."


@dataclass(frozen=True)
class LinkPreview:
    """The Open Graph fields of a shared link (plain text: the page escapes them)."""

    title: str
    description: str
    image: str | None
    url: str


@transactional
def visit(code: str) -> str:
    """Count a person's visit with one atomic UPDATE; the code to send them on to."""
    url = load_link(code, with_content=False)
    db.session.execute(
        update(InvitationUrl)
        .where(InvitationUrl.id == url.id)
        .values(visits=InvitationUrl.visits + 1, last_visited_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return url.code


def preview(code: str) -> LinkPreview:
    """What a link-preview crawler shows; crawlers' fetches are not counted as visits."""
    view = build_view(load_link(code))
    return LinkPreview(
        title=_clip(preview_title(view), MAX_TITLE),
        description=_clip(_description(view), MAX_DESCRIPTION),
        image=_image(view),
        url=short_link_url(view.code),
    )


def preview_title(view: PublicView) -> str:
    """Names and date first (`Ana & Luis · sábado 14 de marzo de 2026`): what shows in the
    chat bubble before it is cut."""
    data = view.data
    names = display_names(data)
    when = ""
    if data is not None and data.event_date is not None:
        when = long_date(data.event_date.astimezone(LIMA).date())
    head = " · ".join(part for part in (names, when) if part)
    return head or view.title or "Invitación"


def _description(view: PublicView) -> str:
    data = view.data
    for text in (
        data.og_description if data else None,
        data.welcome_message if data else None,
        data.subtitle if data else None,
    ):
        if text and text.strip():
            return " ".join(text.split())
    return DEFAULT_DESCRIPTION


def _image(view: PublicView) -> str | None:
    """The `og_image` upload, else the cover, else the template's preview; absolute."""
    by_type = {}
    for item in view.invitation.media:
        by_type.setdefault(item.media_type, item)
    chosen = by_type.get("og_image") or by_type.get("cover")
    if chosen is not None:
        return chosen.url
    preview_url = view.template.preview_url
    if preview_url and preview_url.startswith("/"):
        return public_base_url() + preview_url
    return preview_url or None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
