"""The editable content of an invitation, one row per invitation; all optional until publish."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeGuard

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Model
from models.mixins import TimestampMixin
from models.types import UTCDateTime

if TYPE_CHECKING:
    from models.invitation import Invitation
    from models.invitation_media import InvitationMedia

DEFAULT_TIMEZONE = "America/Lima"
LANGUAGES = ("es", "en")
HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
MAX_FONT_NAME = 100
SECTION_NAME = re.compile(r"^[a-z_]{1,50}$")
MAX_SECTIONS = 30


class InvitationData(TimestampMixin, Model):
    __tablename__ = "invitation_data"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), unique=True, nullable=False
    )

    title: Mapped[str | None] = mapped_column(String(200))
    subtitle: Mapped[str | None] = mapped_column(String(300))
    welcome_message: Mapped[str | None] = mapped_column(Text)

    couple_bride_name: Mapped[str | None] = mapped_column(String(150))
    couple_groom_name: Mapped[str | None] = mapped_column(String(150))
    honoree_name: Mapped[str | None] = mapped_column(String(150))
    bride_father_name: Mapped[str | None] = mapped_column(String(150))
    bride_mother_name: Mapped[str | None] = mapped_column(String(150))
    groom_father_name: Mapped[str | None] = mapped_column(String(150))
    groom_mother_name: Mapped[str | None] = mapped_column(String(150))
    # [{"role": ..., "names": ...}, ...]
    godparents: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    event_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # IANA name the event's local times are shown in.
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default=DEFAULT_TIMEZONE)

    story_text: Mapped[str | None] = mapped_column(Text)
    quote_text: Mapped[str | None] = mapped_column(Text)
    quote_author: Mapped[str | None] = mapped_column(String(150))
    hashtag: Mapped[str | None] = mapped_column(String(100))
    dress_code: Mapped[str | None] = mapped_column(String(100))
    dress_code_notes: Mapped[str | None] = mapped_column(Text)
    reserved_colors: Mapped[list[str] | None] = mapped_column(JSON)

    ceremony_venue_name: Mapped[str | None] = mapped_column(String(200))
    ceremony_address: Mapped[str | None] = mapped_column(String(300))
    ceremony_map_url: Mapped[str | None] = mapped_column(String(500))
    ceremony_latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    ceremony_longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    ceremony_time: Mapped[str | None] = mapped_column(String(5))

    reception_venue_name: Mapped[str | None] = mapped_column(String(200))
    reception_address: Mapped[str | None] = mapped_column(String(300))
    reception_map_url: Mapped[str | None] = mapped_column(String(500))
    reception_latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    reception_longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    reception_time: Mapped[str | None] = mapped_column(String(5))

    rsvp_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # A Lima business date: RSVP is open through the end of that day.
    rsvp_deadline: Mapped[date | None] = mapped_column(Date)
    rsvp_message: Mapped[str | None] = mapped_column(Text)
    rsvp_whatsapp_number: Mapped[str | None] = mapped_column(String(30))
    # The text of each guest link's WhatsApp share ({guest_name}, {link} placeholders).
    whatsapp_message: Mapped[str | None] = mapped_column(String(500))
    # Whether the owner is told of each RSVP by e-mail.
    rsvp_notify_owner: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    default_max_guests: Mapped[int | None] = mapped_column(Integer)
    kids_allowed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    kids_note: Mapped[str | None] = mapped_column(Text)

    gifts_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    gifts_message: Mapped[str | None] = mapped_column(Text)
    gift_registry_url: Mapped[str | None] = mapped_column(String(500))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account_holder: Mapped[str | None] = mapped_column(String(100))
    bank_account_number: Mapped[str | None] = mapped_column(String(40))
    bank_cci: Mapped[str | None] = mapped_column(String(40))
    yape_number: Mapped[str | None] = mapped_column(String(30))
    plin_number: Mapped[str | None] = mapped_column(String(30))

    music_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    music_media_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation_media.id", ondelete="SET NULL"), index=True
    )
    music_autoplay: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    video_url: Mapped[str | None] = mapped_column(String(500))
    gallery_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    gallery_title: Mapped[str | None] = mapped_column(String(200))
    countdown_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    livestream_url: Mapped[str | None] = mapped_column(String(500))
    accommodation_info: Mapped[str | None] = mapped_column(Text)
    transport_info: Mapped[str | None] = mapped_column(Text)

    theme_primary_color: Mapped[str | None] = mapped_column(String(7))
    theme_secondary_color: Mapped[str | None] = mapped_column(String(7))
    theme_font_title: Mapped[str | None] = mapped_column(String(100))
    theme_font_body: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2), nullable=False, default="es")

    cover_media_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation_media.id", ondelete="SET NULL"), index=True
    )
    og_title: Mapped[str | None] = mapped_column(String(200))
    og_description: Mapped[str | None] = mapped_column(String(300))
    og_image_media_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation_media.id", ondelete="SET NULL"), index=True
    )
    # Which sections show, in which order.
    sections: Mapped[list[Any] | dict[str, Any] | None] = mapped_column(JSON)
    thanks_message: Mapped[str | None] = mapped_column(Text)
    footer_text: Mapped[str | None] = mapped_column(String(300))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(255))
    instagram_url: Mapped[str | None] = mapped_column(String(500))
    facebook_url: Mapped[str | None] = mapped_column(String(500))
    tiktok_url: Mapped[str | None] = mapped_column(String(500))
    custom_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    invitation: Mapped[Invitation] = relationship(back_populates="data")
    music_media: Mapped[InvitationMedia | None] = relationship(foreign_keys=[music_media_id])
    cover_media: Mapped[InvitationMedia | None] = relationship(foreign_keys=[cover_media_id])
    og_image_media: Mapped[InvitationMedia | None] = relationship(foreign_keys=[og_image_media_id])

    @classmethod
    def from_template_config(cls, config: dict | None) -> InvitationData:
        """A new row starting from a template's design: its colours, fonts and sections.

        The config is free-form admin input, so only values that pass the editor's own rules
        are copied; anything else is left for the customer to choose.
        """
        config = config if isinstance(config, dict) else {}
        colors = config.get("colors")
        if not isinstance(colors, dict):
            colors = {}
        fonts = config.get("fonts")
        if not isinstance(fonts, dict):
            fonts = {}
        sections = config.get("sections")
        return cls(
            theme_primary_color=_color(colors.get("primary")),
            theme_secondary_color=_color(colors.get("secondary")),
            theme_font_title=_font(fonts.get("title")),
            theme_font_body=_font(fonts.get("body")),
            sections=list(sections) if _is_section_list(sections) else None,
        )


def _color(value) -> str | None:
    return value.upper() if isinstance(value, str) and HEX_COLOR.match(value) else None


def _font(value) -> str | None:
    return (
        value.strip()
        if isinstance(value, str) and 0 < len(value.strip()) <= MAX_FONT_NAME
        else None
    )


def _is_section_list(value: object) -> TypeGuard[list[str]]:
    """The editor's shape: at most 30 distinct names of lower-case letters and `_`."""
    return (
        isinstance(value, list)
        and len(value) <= MAX_SECTIONS
        and all(isinstance(name, str) and SECTION_NAME.match(name) for name in value)
        and len(set(value)) == len(value)
    )
