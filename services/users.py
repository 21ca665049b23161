"""The signed-in user's own account."""

import secrets

from sqlalchemy import delete, or_, select, update

from extensions import db
from models.auth_token import PasswordResetToken
from models.invitation import Invitation
from models.invitation_media import InvitationMedia
from models.user import ROLE_ADMIN, User
from services import audit, stored_files
from services.auth import InvalidCredentialsError, verify_password
from services.exceptions import ConflictError, NotFoundError
from services.invitations import bump_version
from services.provisioning import retire_link_codes
from utils.db import text_search, transactional
from utils.pagination import Page, paginate
from utils.passwords import hash_password
from utils.time import utcnow


@transactional
def update_profile(user: User, changes: dict) -> User:
    for field in ("first_name", "last_name", "phone"):
        if field in changes:
            setattr(user, field, changes[field])
    return user


@transactional
def delete_account(user: User, *, password: str) -> None:
    """Disable the account and erase its personal data; orders stay for accounting.

    The invitations go with everything in them: their stored files once this has committed,
    their cached public pages on every worker; their link codes are kept as tombstones so
    that none is ever given to another invitation.
    """
    if not verify_password(user, user.email, password):
        raise InvalidCredentialsError("The password is incorrect.")
    # Locking reads: they see an upload, card or link committed by a request that was still
    # running when this transaction began, and make any later one wait and then find nothing.
    invitations = db.session.scalars(
        select(Invitation)
        .where(Invitation.user_id == user.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    ids = [invitation.id for invitation in invitations]
    retire_link_codes(ids)
    files = [invitation.preview_card_key for invitation in invitations]
    for media_keys in db.session.execute(
        select(InvitationMedia.storage_key, InvitationMedia.thumbnail_key)
        .where(InvitationMedia.invitation_id.in_(ids))
        .with_for_update()
    ):
        files.extend(media_keys)
    for invitation in invitations:
        bump_version(invitation)
        db.session.delete(invitation)
    stored_files.delete_after_commit(files)
    db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    user.email = f"deleted-{user.id}-{secrets.token_hex(6)}@deleted.invalid"
    user.first_name = ""
    user.last_name = ""
    user.phone = None
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.is_active = False
    user.deleted_at = utcnow()
    user.token_version += 1


def admin_list_users(
    *, page: int, per_page: int, q: str | None = None, role: str | None = None
) -> Page:
    query = select(User).where(User.deleted_at.is_(None))
    if role:
        query = query.where(User.role == role)
    if (contains := text_search(q)) is not None:
        query = query.where(
            or_(contains(User.email), contains(User.first_name), contains(User.last_name))
        )
    return paginate(query.order_by(User.created_at.desc(), User.id.desc()), page, per_page)


def admin_get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError("User not found.")
    return user


@transactional
def admin_update_user(admin: User, user_id: int, changes: dict) -> User:
    """Change a user's role or disable the account.

    The last active admin can be neither demoted nor disabled (409), also when two admins act
    at once: every active admin's row is locked before counting (MariaDB), and the first
    write takes SQLite's write lock, so the second change counts after the first commits.
    """
    user = admin_get_user(user_id)
    if user.id == admin.id and (
        changes.get("role", user.role) != user.role or changes.get("is_active") is False
    ):
        raise ConflictError("Administrators cannot demote or disable themselves.")
    loses_admin = (
        user.role == ROLE_ADMIN
        and user.is_active
        and (changes.get("role", ROLE_ADMIN) != ROLE_ADMIN or changes.get("is_active") is False)
    )
    if loses_admin and _other_active_admins(user.id) == 0:
        raise ConflictError("This is the last active administrator; promote another one first.")
    before = audit.snapshot(user)
    if user.deleted_at is not None and changes.get("is_active"):
        raise ConflictError("A deleted account cannot be re-enabled.")
    if changes.get("is_active") is False and user.is_active:
        # Re-enabling the account later must not bring its old tokens back.
        user.token_version += 1
    for field in ("role", "is_active"):
        if field in changes:
            setattr(user, field, changes[field])
    audit.record(admin, "update", user, before=before)
    return user


def _other_active_admins(user_id: int) -> int:
    """Active admins other than `user_id`, counted so that concurrent changes serialise.

    MariaDB: the locking read returns the committed rows and locks them in id order (two
    admins demoting each other wait in turn instead of deadlocking). SQLite ignores FOR
    UPDATE; the no-op write takes its write lock, and the read after it sees every commit.
    """
    active_admins = (
        select(User.id)
        .where(User.role == ROLE_ADMIN, User.is_active.is_(True), User.deleted_at.is_(None))
        .order_by(User.id)
    )
    locked = set(db.session.scalars(active_admins.with_for_update()))
    db.session.execute(update(User).where(User.id == user_id).values(role=User.role))
    current = set(db.session.scalars(active_admins))
    return len((locked & current) - {user_id})
