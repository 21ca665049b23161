"""Codes of erased links: never given to another invitation (docs/guest-side.md, "Links")."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import Model
from models.types import UTCDateTime
from utils.time import utcnow


class RetiredLinkCode(Model):
    """The tombstone of a link whose row was erased with its invitation: a printed QR code
    or a message already sent must never open a stranger's invitation. Lower-case, as codes
    are compared."""

    __tablename__ = "retired_link_codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
