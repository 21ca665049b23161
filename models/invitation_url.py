"""Short links to an invitation: its main code, a custom slug, and personal guest links."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from extensions import Model
from models.mixins import TimestampMixin
from models.types import UTCDateTime

if TYPE_CHECKING:
    from models.invitation import Invitation
    from models.invitation_response import InvitationResponse

KIND_MAIN = "main"
KIND_CUSTOM = "custom"
KIND_GUEST = "guest"
URL_KINDS = (KIND_MAIN, KIND_CUSTOM, KIND_GUEST)


class InvitationUrl(TimestampMixin, Model):
    __tablename__ = "invitation_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    # Unique across every kind, so /r/<code> resolves to one link.
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    guest_name: Mapped[str | None] = mapped_column(String(150))
    # The "pases" of a guest link.
    max_guests: Mapped[int | None] = mapped_column(Integer)
    # The guest's mobile, digits only with the country code (what wa.me takes).
    phone: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    visits: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped when what this link's public page shows of it changes (its answer, its state):
    # with the invitation's version it keys the public page cache.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    invitation: Mapped[Invitation] = relationship(back_populates="urls")
    response: Mapped[InvitationResponse | None] = relationship(
        back_populates="invitation_url",
        uselist=False,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @validates("kind")
    def _known_kind(self, _key: str, value: str) -> str:
        if value not in URL_KINDS:
            raise ValueError(f"unknown link kind {value!r}")
        return value
