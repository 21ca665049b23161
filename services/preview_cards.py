"""The generated link-preview card of an invitation without an `og_image` (docs/guest-side.md, "The
link-preview card").

The card shows the names, the date (Lima) and the cover photo (or the template's colours). A
sha256 of exactly that, plus CARD_VERSION, decides when it is drawn again and is part of its
file name, so its URL changes whenever it does (WhatsApp caches a preview per URL). It is
refreshed after the owner's transaction has committed; a failure to draw or store it is
logged and leaves the previous card: it never fails the owner's request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from models.invitation import Invitation
from models.invitation_data import HEX_COLOR
from models.invitation_media import InvitationMedia
from services import stored_files
from utils.card_drawing import CARD_SIZE, draw_card
from utils.db import transactional
from utils.jobs import enqueue
from utils.spanish_dates import long_date
from utils.storage import get_storage
from utils.time import lima_date

logger = logging.getLogger(__name__)

# Bump whenever the drawing changes: every card is then drawn again at its next refresh.
CARD_VERSION = 1
CARD_FOLDER = "cards"
CARD_WIDTH, CARD_HEIGHT = CARD_SIZE
CARD_MIME_TYPE = "image/jpeg"
DEFAULT_COLORS = ("#5B3A4A", "#C9A96E")  # deep plum to gold, when the template sets none


@dataclass(frozen=True)
class CardContent:
    """Exactly what a card shows; its digest names the card."""

    names: str
    date_text: str
    photo: InvitationMedia | None
    colors: tuple[str, str]

    @property
    def digest(self) -> str:
        shown = {
            "version": CARD_VERSION,
            "names": self.names,
            "date": self.date_text,
            "photo": self.photo.sha256 if self.photo is not None else None,
            "colors": list(self.colors),
        }
        text = json.dumps(shown, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


# --- Which media stand for the invitation --------------------------------------------------


def share_image(invitation: Invitation) -> InvitationMedia | None:
    """The image the owner chose for link previews: `og_image_media_id`, else an `og_image`
    upload. While there is one, no card is drawn."""
    return _chosen(invitation, "og_image_media_id", ("og_image",))


def card_photo(invitation: Invitation) -> InvitationMedia | None:
    """The cover (`cover_media_id`, else a `cover` upload), else the first photo."""
    return _chosen(invitation, "cover_media_id", ("cover", "photo"))


def _chosen(invitation: Invitation, field: str, kinds: tuple[str, ...]) -> InvitationMedia | None:
    data = invitation.data
    chosen_id = getattr(data, field) if data is not None else None
    media = list(invitation.media)
    for item in media:
        if chosen_id is not None and item.id == chosen_id:
            return item
    for kind in kinds:
        for item in media:
            if item.media_type == kind:
                return item
    return None


# --- Refreshing ----------------------------------------------------------------------------


def refresh_after_commit(invitation_id: int) -> None:
    """Inside a service's transaction: refresh the card (a background job) once that
    transaction has committed."""
    enqueue("refresh_preview_card", invitation_id)


def refresh_preview_card(invitation_id: int) -> None:
    """Draw and store the card again if what it shows has changed; otherwise do nothing.

    Only a published, not deleted invitation without a share image has a card. The new file
    is written first, then the row in a transaction that checks the card still shows what the
    invitation holds; the old file is deleted once that has committed, the new one if it
    did not.
    """
    invitation = _load(invitation_id)
    if invitation is None:
        return
    content = card_content(invitation)
    if content is None or content.digest == invitation.preview_card_hash:
        return
    storage = get_storage()
    key = card_key(invitation_id, content.digest)
    # A storage that cannot be reached raises (the job is retried later); a photo that
    # cannot be drawn would fail every time, so that is logged and the card left as it is.
    photo = storage.read(content.photo.storage_key) if content.photo is not None else None
    db.session.rollback()  # no transaction held open while drawing
    try:
        card = draw_card(
            names=content.names, date_text=content.date_text, photo=photo, colors=content.colors
        )
    except Exception:
        logger.exception("Could not draw the preview card of invitation %s", invitation_id)
        return
    storage.save(key, card)
    try:
        recorded = _record(invitation_id, content.digest, key)
    except Exception:
        logger.exception("Could not record the preview card of invitation %s", invitation_id)
        recorded = False
    if not recorded:
        _delete_quietly(storage, key)


def card_content(invitation: Invitation) -> CardContent | None:
    """What the card of `invitation` shows; None when it should have none."""
    if not invitation.is_published or invitation.deleted_at is not None:
        return None
    if share_image(invitation) is not None:
        return None
    # Imported here: public_pages imports services.invitations, which calls this module.
    from services.public_pages import display_names

    data = invitation.data
    names = display_names(data) or invitation.title
    date_text = ""
    if data is not None and data.event_date is not None:
        date_text = long_date(lima_date(data.event_date))
    return CardContent(
        names=names, date_text=date_text, photo=card_photo(invitation), colors=_colors(invitation)
    )


def card_key(invitation_id: int, digest: str) -> str:
    return f"{CARD_FOLDER}/{invitation_id}-{digest[:16]}.jpg"


def forget_preview_card(invitation: Invitation) -> None:
    """Inside a deletion's transaction: drop the card, its file once that has committed."""
    stored_files.delete_after_commit([invitation.preview_card_key])
    invitation.preview_card_hash = invitation.preview_card_key = None


@transactional
def _record(invitation_id: int, digest: str, key: str) -> bool:
    """Point the invitation at the new card, if it still shows what the invitation holds
    (a later edit may have changed it meanwhile: its own refresh draws that).

    The version is not bumped: the card is no part of the cached public page, and a bump
    would make the ETag the owner's save just received stale (their next save a 412). The
    crawler page reads the card's key from the database on every fetch.
    """
    invitation = _load(invitation_id, for_update=True)
    if invitation is None:
        return False
    content = card_content(invitation)
    if content is None or content.digest != digest:
        return False
    if invitation.preview_card_hash == digest:
        return True  # a concurrent refresh stored this very card (same key) first
    old_key = invitation.preview_card_key
    invitation.preview_card_hash = digest
    invitation.preview_card_key = key
    if old_key != key:
        stored_files.delete_after_commit([old_key])
    return True


def _load(invitation_id: int, *, for_update: bool = False) -> Invitation | None:
    query = select(Invitation).where(Invitation.id == invitation_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(
        query.options(
            joinedload(Invitation.data),
            joinedload(Invitation.template),
            selectinload(Invitation.media),
        )
    )


def _colors(invitation: Invitation) -> tuple[str, str]:
    """The data's theme colours, else the template's, else DEFAULT_COLORS."""
    data = invitation.data
    config = invitation.template.config if isinstance(invitation.template.config, dict) else {}
    template_colors = config.get("colors")
    if not isinstance(template_colors, dict):
        template_colors = {}
    primary = (data.theme_primary_color if data else None) or _hex(template_colors.get("primary"))
    secondary = (data.theme_secondary_color if data else None) or _hex(
        template_colors.get("secondary")
    )
    return (primary or DEFAULT_COLORS[0]).upper(), (secondary or DEFAULT_COLORS[1]).upper()


def _hex(value) -> str | None:
    return value if isinstance(value, str) and HEX_COLOR.match(value) else None


def _delete_quietly(storage, key: str) -> None:
    try:
        storage.delete(key)
    except Exception:
        logger.exception("Could not delete the preview card file %s", key)
