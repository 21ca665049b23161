"""Registration, login, token refresh and logout, password change and reset."""

import functools
import hashlib
import logging
import secrets
from datetime import timedelta
from typing import TypeGuard

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.auth_token import PasswordResetToken
from models.user import User
from services import mailer, tokens
from services.exceptions import (
    ConflictError,
    ForbiddenError,
    TooManyRequestsError,
    UnauthorizedError,
    ValidationError,
)
from utils import login_throttle
from utils.db import execute_dml, transactional
from utils.emails import normalize_email, spa_link
from utils.passwords import check_password, hash_password
from utils.time import utcnow

logger = logging.getLogger(__name__)

RESET_TOKEN_TTL = timedelta(hours=1)
RESET_TOKEN_BYTES = 32
# What secrets.token_urlsafe(RESET_TOKEN_BYTES) yields: 43 URL-safe base64 characters.
RESET_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{43}$"  # noqa: S105 - a shape, not a secret


class InvalidCredentialsError(UnauthorizedError):
    code = "invalid_credentials"
    message = "E-mail or password is incorrect."


class AccountDisabledError(ForbiddenError):
    code = "account_disabled"
    message = "This account is disabled."


class EmailTakenError(ConflictError):
    code = "email_taken"
    message = "An account with this e-mail already exists."


class TooManyFailedAttemptsError(TooManyRequestsError):
    message = "Too many failed attempts for this account; try again later."

    def __init__(self, retry_after: int):
        super().__init__(headers={"Retry-After": str(retry_after)})


class InvalidResetTokenError(ValidationError):
    message = "The reset link is invalid, used or expired."

    def __init__(self):
        super().__init__(details={"token": [self.message]})


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def verify_password(user: User | None, account: str, password: str) -> TypeGuard[User]:
    """Check `password` of the account named `account` (its e-mail), which may not exist.

    Failures count against the account's limit whatever the caller's IP
    (docs/accounts-and-security.md, "Rate limits"); over it every check is refused with 429, the
    right password too, the same for an unknown e-mail. An unknown account spends the same bcrypt
    time, so timing reveals nothing either.
    """
    account = normalize_email(account)
    wait = login_throttle.retry_after(account)
    if wait is not None:
        raise TooManyFailedAttemptsError(wait)
    if user is None:
        check_password(password, _dummy_hash(current_app.config["BCRYPT_ROUNDS"]))
        matches = False
    else:
        matches = check_password(password, user.password_hash)
    if not matches:
        login_throttle.record_failure(account)
    return matches


@transactional
def register(*, email: str, password: str, first_name: str, last_name: str, phone=None) -> dict:
    if find_user_by_email(email) is not None:
        raise EmailTakenError()
    user = User(
        email=email,
        password_hash=hash_password(password),
        first_name=first_name,
        last_name=last_name,
        phone=phone,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:  # a concurrent registration of the same e-mail
        raise EmailTakenError() from error
    return {"user": user, **tokens.issue_token_pair(user)}


@transactional
def login(*, email: str, password: str) -> dict:
    user = find_user_by_email(email)
    if not verify_password(user, email, password):
        raise InvalidCredentialsError()
    if not user.is_active:
        raise AccountDisabledError()
    user.last_login_at = utcnow()
    return {"user": user, **tokens.issue_token_pair(user)}


@transactional
def refresh(refresh_payload: dict, user: User) -> dict:
    return tokens.rotate_refresh_token(refresh_payload, user)


@transactional
def logout(access_payload: dict, user: User, refresh_token: str | None = None) -> None:
    tokens.revoke(access_payload)
    if refresh_token:
        tokens.revoke_encoded(refresh_token, user_id=user.id, token_type="refresh")  # noqa: S106


@transactional
def change_password(user: User, *, current_password: str, new_password: str) -> dict:
    if not verify_password(user, user.email, current_password):
        raise InvalidCredentialsError("The current password is incorrect.")
    _set_password(user, new_password)
    return tokens.issue_token_pair(user)


@transactional
def forgot_password(email: str) -> None:
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        logger.info("Password reset asked for an unknown or disabled account")
        return
    raw_token = secrets.token_urlsafe(RESET_TOKEN_BYTES)
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_hash_token(raw_token),
            expires_at=utcnow() + RESET_TOKEN_TTL,
        )
    )
    link = spa_link("FRONTEND_RESET_PASSWORD_PATH", raw_token)
    # Only a stored token may be mailed: a rolled-back request sends nothing.
    mailer.queue_mail(
        f"password-reset:{_hash_token(raw_token)[:32]}",
        user.email,
        "Restablece tu contraseña",
        f"Hola {user.first_name},\n\nPara elegir una nueva contraseña abre este enlace "
        f"(válido por 1 hora):\n{link}\n\nSi no lo pediste, ignora este mensaje.",
    )


@transactional
def reset_password(*, token: str, new_password: str) -> None:
    now = utcnow()
    # Marking it used in one conditional UPDATE makes the token single-use under concurrency.
    claimed = execute_dml(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == _hash_token(token),
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise InvalidResetTokenError()
    reset = db.session.execute(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash_token(token))
    ).scalar_one()
    user = db.session.get(User, reset.user_id)
    if user is None or not user.is_active:
        raise InvalidResetTokenError()
    _set_password(user, new_password)


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    # Every token issued before now carries the old version and is refused from here on.
    user.token_version += 1


def _hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


@functools.cache
def _dummy_hash(rounds: int) -> str:
    import bcrypt

    return bcrypt.hashpw(b"dummy-password-for-timing", bcrypt.gensalt(rounds=rounds)).decode()
