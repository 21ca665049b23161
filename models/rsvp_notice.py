"""How far an invitation's owner has been told about its RSVP answers: the last history row
(invitation_response_changes.id) their notice e-mails covered, and when the last one left."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from extensions import Model
from models.types import UTCDateTime


class RsvpNotice(Model):
    __tablename__ = "rsvp_notices"

    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True
    )
    notified_through_change_id: Mapped[int] = mapped_column(Integer, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
