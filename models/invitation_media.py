"""Files attached to an invitation: photos, cover, music, gift QR, preview image."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from extensions import Model
from models.mixins import TimestampMixin
from utils.media import media_url

if TYPE_CHECKING:
    from models.invitation import Invitation

MEDIA_TYPES = ("photo", "cover", "music", "gift_qr", "og_image")


class InvitationMedia(TimestampMixin, Model):
    __tablename__ = "invitation_media"
    # Serves the ordered list; its leading column also indexes invitation_id.
    __table_args__ = (
        Index("ix_invitation_media_invitation_id_display_order", "invitation_id", "display_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), nullable=False
    )
    media_type: Mapped[str] = mapped_column(String(20), nullable=False)
    # Random names chosen by the server, relative to the storage backend's root; their URLs
    # are built when served, so they follow MEDIA_BASE_URL / PUBLIC_BASE_URL.
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False)
    thumbnail_key: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # Music only, read from the file by mutagen.
    duration_seconds: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    bitrate: Mapped[int | None] = mapped_column(Integer)
    caption: Mapped[str | None] = mapped_column(String(300))
    display_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    invitation: Mapped[Invitation] = relationship(back_populates="media")

    @property
    def url(self) -> str:
        return media_url(self.storage_key)

    @property
    def thumbnail_url(self) -> str | None:
        return media_url(self.thumbnail_key) if self.thumbnail_key else None

    @validates("media_type")
    def _known_media_type(self, _key: str, value: str) -> str:
        if value not in MEDIA_TYPES:
            raise ValueError(f"unknown media type {value!r}")
        return value
