"""The history of every RSVP: one row per creation or change of a response."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from extensions import Model
from models.types import UTCDateTime
from utils.time import utcnow

if TYPE_CHECKING:
    from models.invitation_response import InvitationResponse

CHANGE_CREATED = "created"
CHANGE_CHANGED = "changed"
CHANGE_KINDS = (CHANGE_CREATED, CHANGE_CHANGED)


class InvitationResponseChange(Model):
    __tablename__ = "invitation_response_changes"
    # The owner's activity feed: newest first within one invitation.
    __table_args__ = (
        Index("ix_invitation_response_changes_feed", "invitation_id", "changed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("invitation_responses.id", ondelete="CASCADE"), nullable=False, index=True
    )
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), nullable=False
    )
    change: Mapped[str] = mapped_column(String(10), nullable=False)
    # What the answer was before this change; null for a creation.
    from_status: Mapped[str | None] = mapped_column(String(16))
    from_number_of_guests: Mapped[int | None] = mapped_column(Integer)
    # The answer as this change left it.
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    number_of_guests: Mapped[int] = mapped_column(Integer, nullable=False)
    guest_name: Mapped[str] = mapped_column(String(150), nullable=False)
    message: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    response: Mapped[InvitationResponse] = relationship(back_populates="changes")

    @validates("change")
    def _known_change(self, _key: str, value: str) -> str:
        if value not in CHANGE_KINDS:
            raise ValueError(f"unknown change kind {value!r}")
        return value
