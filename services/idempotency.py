"""Idempotency keys (docs/api-conventions.md, "Idempotency-Key"): a repeated request answers its
first response.

A key is claimed in its own short transaction before the work starts, so a concurrent
duplicate finds it at once; the first response is stored when the work ends. Responses of
5xx are not stored: the key is released and the client may retry it.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.idempotency_key import IdempotencyKey
from services.exceptions import ConflictError, ValidationError
from utils.db import execute_dml, transactional
from utils.time import utcnow

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[\x20-\x7e]{1,255}$"
KEY_FORMAT = re.compile(KEY_PATTERN)
KEPT_FOR = timedelta(hours=24)


class IdempotencyKeyReusedError(ValidationError):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with another request body."


class RequestInProgressError(ConflictError):
    message = "A request with this Idempotency-Key is still being processed; retry shortly."


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str


def validate_key(key: str) -> str:
    if not KEY_FORMAT.fullmatch(key):
        raise ValidationError(
            details={HEADER: ["1 to 255 printable ASCII characters."]},
        )
    return key


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join((method.encode(), path.encode(), body))).hexdigest()


def claim(scope: str, key: str, fingerprint: str) -> int | StoredResponse:
    """Claim the key for a new request (its row id), or the stored first response to replay.

    Another body under the same key → 422 `idempotency_key_reused`; the first request still
    running → 409 `conflict`. A key older than 24 h counts as unused.
    """
    for _attempt in range(2):
        claimed = _insert(scope, key, fingerprint)
        if claimed is not None:
            return claimed
        existing = db.session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
        )
        db.session.rollback()
        if existing is None:
            continue  # released or purged in between: claim it again
        if existing.created_at <= utcnow() - KEPT_FOR:
            release(existing.id)
            continue
        if existing.request_hash != fingerprint:
            raise IdempotencyKeyReusedError()
        if existing.status_code is None:
            raise RequestInProgressError()
        return StoredResponse(existing.status_code, existing.response_body or "")
    raise RequestInProgressError()


def _insert(scope: str, key: str, fingerprint: str) -> int | None:
    record = IdempotencyKey(scope=scope, key=key, request_hash=fingerprint)
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return record.id


@transactional
def complete(record_id: int, status_code: int, body: str) -> None:
    db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == record_id)
        .values(status_code=status_code, response_body=body)
    )


@transactional
def release(record_id: int) -> None:
    """Forget a claimed key whose request failed on the server's side, so it may be retried."""
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == record_id))


@transactional
def purge_expired() -> int:
    """Delete keys past their 24 hours; the number deleted."""
    result = execute_dml(
        delete(IdempotencyKey).where(IdempotencyKey.created_at <= utcnow() - KEPT_FOR)
    )
    return result.rowcount
