"""E-mails already handed to the mail server, by the key of what they say: a job that runs
twice (a retry after the server accepted it, a redelivered message) sends nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import Model
from models.types import UTCDateTime
from utils.time import utcnow


class EmailDelivery(Model):
    __tablename__ = "email_deliveries"

    # What the mail is about, e.g. `order-paid:42`, `rsvp-notice:7:100-135`.
    key: Mapped[str] = mapped_column(String(191), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, nullable=False, index=True
    )
