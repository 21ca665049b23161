"""JWT pairs, the claims every accepted token must carry, and the revocation list.

Revocations live in the `revoked_tokens` table only, so a Redis restart or outage revives no
logged-out or rotated-away token; the check rides in the same statement that loads the user.
"""

from datetime import UTC, datetime

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.auth_token import RevokedToken
from models.user import User
from services.exceptions import UnauthorizedError
from utils.db import execute_dml, transactional
from utils.time import utcnow

TOKEN_TYPES = ("access", "refresh")
MAX_JTI_LENGTH = 64  # RevokedToken.jti
MAX_USER_ID = 2**63 - 1  # the largest id any backend's integer column holds
MAX_EXPIRY = 253402300799  # 9999-12-31T23:59:59Z, the last instant a datetime can hold


class TokenRevokedError(UnauthorizedError):
    code = "token_revoked"
    message = "This token has been revoked."


class TokenExpiredError(UnauthorizedError):
    code = "token_expired"
    message = "This token has expired."


class InvalidTokenError(UnauthorizedError):
    """Signed with our key, yet not a token we issue (claims missing or of the wrong shape)."""

    message = "The token is not valid."


def issue_token_pair(user: User) -> dict[str, str | int]:
    """A new access and refresh token, with their lifetimes in seconds (OAuth 2's `expires_in`,
    so an SPA can refresh before the access token runs out instead of after a 401)."""
    claims = {"ver": user.token_version}
    identity = str(user.id)
    config = current_app.config
    return {
        "access_token": create_access_token(
            identity, additional_claims={**claims, "role": user.role}
        ),
        "refresh_token": create_refresh_token(identity, additional_claims=claims),
        "token_type": "Bearer",
        "expires_in": int(config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
        "refresh_expires_in": int(config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds()),
    }


def token_user_id(payload: dict) -> int:
    """The user id of a decoded token whose claims have the shape we issue; else InvalidTokenError.

    `sub` a decimal string of a possible id, `jti` a short string, `ver` an integer, `type`
    access or refresh, `exp` a timestamp: anything else cannot be checked or revoked.
    """
    subject, jti, version = payload.get("sub"), payload.get("jti"), payload.get("ver")
    if not (isinstance(subject, str) and 0 < len(subject) <= 19 and subject.isascii()):
        raise InvalidTokenError()
    if not subject.isdigit() or not 0 < int(subject) <= MAX_USER_ID:
        raise InvalidTokenError()
    if not (isinstance(jti, str) and 0 < len(jti) <= MAX_JTI_LENGTH):
        raise InvalidTokenError()
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidTokenError()
    if payload.get("type") not in TOKEN_TYPES or not _is_timestamp(payload.get("exp")):
        raise InvalidTokenError()
    return int(subject)


def load_token_user(payload: dict) -> tuple[User | None, bool]:
    """The active user a verified token names, and whether the token is revoked: one statement.

    Revoked means blocklisted (logout, rotation) or issued before the user's `token_version`
    last moved (password change or reset, account disabled). A missing or disabled user comes
    back as None, not revoked, so that it is refused as `unauthorized`.
    """
    user_id = token_user_id(payload)
    blocklisted = exists().where(RevokedToken.jti == payload["jti"])
    row = db.session.execute(select(User, blocklisted).where(User.id == user_id)).one_or_none()
    if row is None or not row[0].is_active:
        return None, False
    user, is_blocklisted = row
    return user, bool(is_blocklisted) or payload["ver"] != user.token_version


def revoke(payload: dict) -> bool:
    """Record a decoded token as revoked until it expires; False when it already was."""
    expires_at = datetime.fromtimestamp(payload["exp"], UTC)
    if expires_at <= utcnow():
        return False
    try:
        # The unique jti makes the second of two concurrent revocations fail here.
        with db.session.begin_nested():
            db.session.add(
                RevokedToken(
                    jti=payload["jti"],
                    token_type=payload["type"],
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
        named_user = token_user_id(payload)
    except Exception:  # noqa: BLE001 - an unusable token needs no revoking
        return
    if payload["type"] == token_type and named_user == user_id:
        revoke(payload)


def rotate_refresh_token(payload: dict, user: User) -> dict[str, str | int]:
    """Spend a refresh token for a new pair; a second use of the same token is refused."""
    if not revoke(payload):
        raise TokenRevokedError()
    return issue_token_pair(user)


@transactional
def purge_expired_revocations() -> int:
    result = execute_dml(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    return result.rowcount or 0


def _is_timestamp(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_EXPIRY
