"""A customer's invitation: the root of its data, timeline, media, links and RSVPs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Model
from models.mixins import TimestampMixin
from models.types import UTCDateTime
from utils.media import media_url

if TYPE_CHECKING:
    from models.invitation_data import InvitationData
    from models.invitation_event import InvitationEvent
    from models.invitation_media import InvitationMedia
    from models.invitation_response import InvitationResponse
    from models.invitation_url import InvitationUrl
    from models.order import Order, OrderItem
    from models.plan import Plan
    from models.template import Template
    from models.user import User


class Invitation(TimestampMixin, Model):
    __tablename__ = "invitations"
    # Serves the owner's newest-first list; its leading column also indexes user_id.
    __table_args__ = (Index("ix_invitations_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("templates.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    is_published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An admin's take-down: off the public site and not publishable again by its owner.
    taken_down_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    take_down_reason: Mapped[str | None] = mapped_column(String(500))
    # The generated link-preview card (services/preview_cards.py): the hash of what it shows
    # decides when it is drawn again, and is part of its file name, so its URL changes too.
    preview_card_hash: Mapped[str | None] = mapped_column(String(64))
    preview_card_key: Mapped[str | None] = mapped_column(String(255))
    # The editor's ETag: bumped on every save, checked against If-Match.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    user: Mapped[User] = relationship(back_populates="invitations")
    template: Mapped[Template] = relationship()
    plan: Mapped[Plan | None] = relationship()
    order: Mapped[Order | None] = relationship(back_populates="invitations")
    order_items: Mapped[list[OrderItem]] = relationship(
        back_populates="invitation", passive_deletes=True
    )
    data: Mapped[InvitationData | None] = relationship(
        back_populates="invitation",
        uselist=False,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    events: Mapped[list[InvitationEvent]] = relationship(
        back_populates="invitation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(InvitationEvent.display_order, InvitationEvent.id)",
    )
    media: Mapped[list[InvitationMedia]] = relationship(
        back_populates="invitation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(InvitationMedia.display_order, InvitationMedia.id)",
    )
    responses: Mapped[list[InvitationResponse]] = relationship(
        back_populates="invitation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="InvitationResponse.id",
    )
    urls: Mapped[list[InvitationUrl]] = relationship(
        back_populates="invitation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="InvitationUrl.id",
    )
    # The one `main` link, loadable without the (possibly thousand) guest links.
    main_url: Mapped[InvitationUrl | None] = relationship(
        primaryjoin="and_(Invitation.id == InvitationUrl.invitation_id, "
        "InvitationUrl.kind == 'main')",
        uselist=False,
        viewonly=True,
    )

    @property
    def main_code(self) -> str | None:
        return self.main_url.code if self.main_url is not None else None

    @property
    def preview_card_url(self) -> str | None:
        return media_url(self.preview_card_key) if self.preview_card_key else None

    @property
    def online_until(self) -> datetime | None:
        """The first publication plus the plan's `online_days`; None until first published."""
        if self.published_at is None or self.plan is None:
            return None
        days = self.plan.feature("online_days")
        return self.published_at + timedelta(days=int(days)) if days else None

    def retitle(self, title: str | None) -> None:
        """Set the invitation's one title, which its editor data (`data.title`) mirrors: the
        list, the public page, the share card, the calendar and the owner's mails all show it.
        An empty title falls back to the template's name, the default every draft starts with.
        """
        self.title = title or (self.template.name if self.template is not None else "")
        if self.data is not None:
            self.data.title = self.title
