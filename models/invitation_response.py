"""Guests' RSVPs to an invitation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from extensions import Model
from models.mixins import TimestampMixin

if TYPE_CHECKING:
    from models.invitation import Invitation
    from models.invitation_response_change import InvitationResponseChange
    from models.invitation_url import InvitationUrl

STATUS_CONFIRMED = "confirmed"
STATUS_DECLINED = "declined"
RESPONSE_STATUSES = (STATUS_CONFIRMED, STATUS_DECLINED)


class InvitationResponse(TimestampMixin, Model):
    __tablename__ = "invitation_responses"
    # Serves the owner's list; its leading column also indexes invitation_id.
    __table_args__ = (
        Index("ix_invitation_responses_invitation_id_created_at", "invitation_id", "created_at"),
        # One answer per guest through the main or custom code (null for guest links).
        UniqueConstraint("invitation_id", "dedupe_key", name="uq_invitation_responses_dedupe"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), nullable=False
    )
    # Unique: one response per guest link. Null for answers through a main or custom link.
    invitation_url_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation_urls.id", ondelete="CASCADE"), unique=True
    )
    guest_name: Mapped[str] = mapped_column(String(150), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    number_of_guests: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    message: Mapped[str | None] = mapped_column(Text)
    dietary_restrictions: Mapped[str | None] = mapped_column(String(500))
    # The normalised name and phone of an answer through the main or custom code, so a repeat
    # from the same guest updates their answer instead of counting them twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(64))

    invitation: Mapped[Invitation] = relationship(back_populates="responses")
    invitation_url: Mapped[InvitationUrl | None] = relationship(back_populates="response")
    changes: Mapped[list[InvitationResponseChange]] = relationship(
        back_populates="response",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="InvitationResponseChange.id",
    )

    @validates("status")
    def _known_status(self, _key: str, value: str) -> str:
        if value not in RESPONSE_STATUSES:
            raise ValueError(f"unknown response status {value!r}")
        return value
