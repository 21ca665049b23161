"""Jobs queued by committed transactions and not yet handed to the broker (the job outbox):
written in the transaction that queues them, deleted once the broker has taken them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import Model
from models.types import UTCDateTime
from utils.time import utcnow


class OutboxJob(Model):
    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    args: Mapped[list] = mapped_column(JSON, nullable=False)
    # When the job is meant to run (queued with a countdown: later than created_at).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, nullable=False, index=True
    )
