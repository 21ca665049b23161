"""`/r/<code>`: a counted visit for people, a preview for crawlers (docs/guest-side.md)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from extensions import db
from models.invitation_url import InvitationUrl
from services import preview_cards
from services.public_pages import PublicView, build_view, display_names, load_link
from utils.db import transactional
from utils.links import short_link_url
from utils.media import asset_url
from utils.spanish_dates import long_date
from utils.time import lima_date, utcnow

MAX_TITLE = 65
MAX_DESCRIPTION = 155
DEFAULT_DESCRIPTION = "Estás invitado. Abre la invitación para ver los detalles y confirmar."


@dataclass(frozen=True)
class PreviewImage:
    """`og:image` and what is known of it (width, height and type may be None)."""

    url: str
    width: int | None = None
    height: int | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class LinkPreview:
    """The Open Graph fields of a shared link (plain text: the page escapes them)."""

    title: str
    description: str
    image: PreviewImage | None
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
        when = long_date(lima_date(data.event_date))
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


def _image(view: PublicView) -> PreviewImage | None:
    """The owner's share image, else the generated card, else the cover (or first photo),
    else the template's preview; absolute."""
    invitation = view.invitation
    chosen = preview_cards.share_image(invitation)
    if chosen is None and invitation.preview_card_url:
        return PreviewImage(
            url=invitation.preview_card_url,
            width=preview_cards.CARD_WIDTH,
            height=preview_cards.CARD_HEIGHT,
            mime_type=preview_cards.CARD_MIME_TYPE,
        )
    chosen = chosen or preview_cards.card_photo(invitation)
    if chosen is not None:
        return PreviewImage(
            url=chosen.url, width=chosen.width, height=chosen.height, mime_type=chosen.mime_type
        )
    preview_url = asset_url(view.template.preview_url)
    return PreviewImage(url=preview_url) if preview_url else None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
