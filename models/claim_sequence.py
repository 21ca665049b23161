"""The last claim number given out each year, for gapless yearly codes (LR-2026-000001)."""

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from extensions import Model


class ClaimSequence(Model):
    __tablename__ = "claim_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
