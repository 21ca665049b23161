"""Columns that many models share."""

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from models.types import UTCDateTime
from utils.time import utcnow


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
