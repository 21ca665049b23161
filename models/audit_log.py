"""The audit log: one row per admin write, with who, what, and each field before and after."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Model
from models.types import UTCDateTime
from utils.time import utcnow

if TYPE_CHECKING:
    from models.user import User


class AuditLog(Model):
    __tablename__ = "audit_logs"
    __table_args__ = (
        # The filters of GET /api/admin/audit-log, each newest first.
        Index("ix_audit_logs_entity", "entity_type", "entity_id", "created_at"),
        Index("ix_audit_logs_actor", "actor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as it was when acting, so the row still says who once the account is erased.
    actor_email: Mapped[str | None] = mapped_column(String(255))
    # `<entity_type>.<verb>`: `plan.update`, `order.refund`, `invitation.take_down`.
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    # {field: [before, after]}; secrets and password hashes are never recorded.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, nullable=False, index=True
    )

    actor: Mapped[User | None] = relationship()
