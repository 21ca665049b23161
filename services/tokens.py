"""JWT pairs, revocation and the blocklist (database by default, Redis when configured)."""

from datetime import UTC, datetime

from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.auth_token import RevokedToken
from models.user import User
from services.exceptions import UnauthorizedError
from utils.db import transactional
from utils.redis_client import get_redis, redis_key
from utils.time import utcnow


class TokenRevokedError(UnauthorizedError):
    code = "token_revoked"
    message = "This token has been revoked."


def issue_token_pair(user: User) -> dict[str, str]:
    claims = {"ver": user.token_version}
    identity = str(user.id)
    return {
        "access_token": create_access_token(
            identity, additional_claims={**claims, "role": user.role}
        ),
        "refresh_token": create_refresh_token(identity, additional_claims=claims),
    }


def is_revoked(payload: dict) -> bool:
    """True for a blocklisted token or one issued before the user's last password change."""
    user = db.session.get(User, int(payload["sub"]))
    # A missing or disabled user is refused later by the user lookup, as `unauthorized`.
    if user is not None and user.is_active and payload.get("ver") != user.token_version:
        return True
    return _blocklist_contains(payload["jti"])


def revoke(payload: dict) -> bool:
    """Blocklist a decoded token until it expires; False when it was already revoked."""
    expires_at = datetime.fromtimestamp(payload["exp"], UTC)
    if expires_at <= utcnow():
        return False
    client = get_redis()
    if client is not None:
        ttl = max(1, int((expires_at - utcnow()).total_seconds()) + 1)
        return bool(client.set(redis_key("revoked", payload["jti"]), "1", nx=True, ex=ttl))
    try:
        with db.session.begin_nested():
            db.session.add(
                RevokedToken(
                    jti=payload["jti"],
                    token_type=payload.get("type", "access"),
                    user_id=int(payload["sub"]),
                    expires_at=expires_at,
                )
            )
    except IntegrityError:
        return False
    return True


def revoke_encoded(token: str, *, user_id: int, token_type: str) -> None:
    """Revoke a token the client handed over, if it is a valid one of `user_id`; else ignore it."""
    try:
        payload = decode_token(token)
    except Exception:  # noqa: BLE001 - an unusable token needs no revoking
        return
    if payload.get("type") == token_type and payload.get("sub") == str(user_id):
        revoke(payload)


def rotate_refresh_token(payload: dict, user: User) -> dict[str, str]:
    """Spend a refresh token for a new pair; a second use of the same token is refused."""
    if not revoke(payload):
        raise TokenRevokedError()
    return issue_token_pair(user)


@transactional
def purge_expired_revocations() -> int:
    result = db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    return result.rowcount or 0


def _blocklist_contains(jti: str) -> bool:
    client = get_redis()
    if client is not None:
        return bool(client.exists(redis_key("revoked", jti)))
    return bool(db.session.scalar(select(exists().where(RevokedToken.jti == jti))))
