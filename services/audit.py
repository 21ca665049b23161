"""The audit log's one helper: every admin write records itself inside its own transaction.

    before = audit.snapshot(plan)
    ... change the plan ...
    audit.record(admin, "update", plan, before=before)

`record` stores the fields that differ between `before` and the object as it is now
(`{field: [before, after]}`); a creation passes no `before`, a deletion no object state after
(`after={}`). Secrets are never written: password hashes, tokens, keys.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select

from extensions import db
from models.audit_log import AuditLog
from models.user import User
from utils.pagination import Page, paginate
from utils.time import utcnow

# Column names never copied into the log, whatever the model.
SECRET_FIELDS = frozenset(
    {"password", "password_hash", "token", "token_hash", "secret", "api_key", "hmac_key"}
)
# Bookkeeping columns that change on every write and say nothing about it.
IGNORED_FIELDS = frozenset({"created_at", "updated_at"})


def entity_type(entity) -> str:
    """`plan`, `order`, `invitation`...: the model's name in snake case."""
    name = type(entity).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def snapshot(entity) -> dict[str, Any]:
    """The entity's column values as JSON values, secrets left out."""
    mapper = inspect(type(entity))
    values = {}
    for column in mapper.column_attrs:
        key = column.key
        if key in SECRET_FIELDS or key in IGNORED_FIELDS:
            continue
        values[key] = _json_value(getattr(entity, key))
    return values


def record(
    actor: User | None,
    action: str,
    entity,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditLog:
    """Add the audit row of `actor` doing `action` to `entity`, in the caller's transaction.

    `extra` adds facts that are not columns (`{"reason": [None, "spam"]}`). `actor` None is an
    operator's command (`flask seed`), not a person signed in.
    """
    db.session.flush()  # a created entity gets its id, defaults get their values
    before = before or {}
    after = snapshot(entity) if after is None else after
    changes = {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key) and key not in SECRET_FIELDS
    }
    changes.update(extra or {})
    row = AuditLog(
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else None,
        action=f"{entity_type(entity)}.{action}",
        entity_type=entity_type(entity),
        entity_id=str(inspect(entity).identity[0]),
        changes=changes,
        created_at=utcnow(),
    )
    db.session.add(row)
    return row


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict | str | int | float | bool) or value is None:
        return value
    return str(value)


def admin_list_audit_log(
    *,
    page: int,
    per_page: int,
    actor_id: int | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
) -> Page:
    """Audit rows, newest first, filtered by who acted and on what."""
    query = select(AuditLog)
    if actor_id is not None:
        query = query.where(AuditLog.actor_id == actor_id)
    if entity_type:
        query = query.where(AuditLog.entity_type == entity_type.strip())
    if entity_id:
        query = query.where(AuditLog.entity_id == entity_id.strip())
    return paginate(query.order_by(AuditLog.created_at.desc(), AuditLog.id.desc()), page, per_page)
