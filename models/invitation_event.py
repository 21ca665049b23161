"""Timeline entries of an invitation: ceremonies, reception, party."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from extensions import Model
from models.mixins import TimestampMixin
from models.types import UTCDateTime

if TYPE_CHECKING:
    from models.invitation import Invitation

EVENT_TYPES = (
    "ceremonia_religiosa",
    "ceremonia_civil",
    "recepcion",
    "cocktail",
    "fiesta",
    "after_party",
    "otro",
)


class InvitationEvent(TimestampMixin, Model):
    __tablename__ = "invitation_events"
    # Serves the ordered list; its leading column also indexes invitation_id.
    __table_args__ = (
        Index("ix_invitation_events_invitation_id_display_order", "invitation_id", "display_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), nullable=False
    )
    event_type: Mapped[str] = mapped_column(String(30), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    venue_name: Mapped[str | None] = mapped_column(String(200))
    venue_address: Mapped[str | None] = mapped_column(String(300))
    map_url: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    display_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    invitation: Mapped[Invitation] = relationship(back_populates="events")

    @validates("event_type")
    def _known_event_type(self, _key: str, value: str) -> str:
        if value not in EVENT_TYPES:
            raise ValueError(f"unknown event type {value!r}")
        return value
