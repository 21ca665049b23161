"""An invitation's media: uploads processed and stored with their row, or not at all.

Files are written first, then the row in the same transaction; if the commit fails the
files just written are deleted, and if the second file fails the first is. Deleting media
removes its files only once the deletion has committed (docs/editor-and-media.md, "Media uploads and
storage"). A cover, share image or gift QR replaces the invitation's previous one in that same
transaction.
"""

import secrets

from flask import current_app
from sqlalchemy import func, select, update

from extensions import db
from models.invitation import Invitation
from models.invitation_data import InvitationData
from models.invitation_media import InvitationMedia
from models.user import User
from services import preview_cards, stored_files
from services.exceptions import (
    AppError,
    BadGatewayError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from services.invitations import bump_version, get_owned_invitation
from services.plan_rules import check_limit, require_feature
from utils.db import transactional
from utils.file_processing import (
    DecoderBusyError,
    InvalidFileError,
    ProcessedFile,
    UnsupportedFileError,
    process_audio,
    process_image,
)
from utils.metrics import UPLOADS
from utils.storage import get_storage

MUSIC = "music"
PHOTO = "photo"
UPLOAD_FOLDER = "uploads"
# One file each: a new upload replaces the previous one.
SINGLE_SLOT_TYPES = ("cover", "og_image", "gift_qr")
# The data's references to media, moved from a replaced file to its replacement.
MEDIA_REFERENCES = (
    InvitationData.cover_media_id,
    InvitationData.og_image_media_id,
    InvitationData.music_media_id,
)


class MediaNotFoundError(NotFoundError):
    message = "Media not found."


class StorageFailedError(BadGatewayError):
    code = "storage_error"
    message = "The file could not be stored; try again."


class UploadsBusyError(ServiceUnavailableError):
    message = "Too many images are being processed; try again in a few seconds."

    def __init__(self):
        super().__init__(headers={"Retry-After": "5"})


def list_media(user: User, invitation_id: int) -> list[InvitationMedia]:
    invitation = get_owned_invitation(user, invitation_id)
    return _media_of(invitation)


def upload_media(
    user: User, invitation_id: int, *, media_type: str, content: bytes, caption: str | None
) -> InvitationMedia:
    """Check, process, store and record one upload; nothing remains if any step fails."""
    try:
        media = _upload(user, invitation_id, media_type, content, caption)
    except AppError as error:
        UPLOADS.labels(media_type, error.code).inc()
        raise
    except Exception:
        UPLOADS.labels(media_type, "failed").inc()
        raise
    UPLOADS.labels(media_type, "stored").inc()
    return media


def _upload(user: User, invitation_id: int, media_type: str, content: bytes, caption):
    max_bytes = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    if len(content) > max_bytes:
        raise PayloadTooLargeError(
            f"Files may be at most {current_app.config['MAX_UPLOAD_MB']} MB."
        )
    # Refused before any work: a stranger's invitation, a feature the plan lacks.
    invitation = get_owned_invitation(user, invitation_id)
    if media_type == MUSIC:
        require_feature(invitation, "music")
    db.session.rollback()
    processed = _process(media_type, content)
    storage = get_storage()
    keys = _store(storage, processed)
    try:
        media = _record(user, invitation_id, media_type, caption, processed, keys)
    except BaseException:
        _delete_files(storage, keys.values())
        raise
    return media


@transactional
def update_caption(
    user: User, invitation_id: int, media_id: int, caption: str | None
) -> InvitationMedia:
    invitation = get_owned_invitation(user, invitation_id, for_update=True)
    media = _one(invitation, media_id)
    media.caption = caption
    bump_version(invitation)
    return media


@transactional
def reorder_media(user: User, invitation_id: int, ids: list[int]) -> list[InvitationMedia]:
    invitation = get_owned_invitation(user, invitation_id, for_update=True)
    bump_version(invitation)
    media = {row.id: row for row in _media_of(invitation)}
    if len(ids) != len(set(ids)) or set(ids) != set(media):
        raise ValidationError(
            details={"ids": ["Must list every media id of this invitation exactly once."]}
        )
    for position, media_id in enumerate(ids):
        media[media_id].display_order = position
    preview_cards.refresh_after_commit(invitation_id)
    return [media[media_id] for media_id in ids]


@transactional
def delete_media(user: User, invitation_id: int, media_id: int) -> None:
    invitation = get_owned_invitation(user, invitation_id, for_update=True)
    bump_version(invitation)
    delete_media_rows([_one(invitation, media_id)])
    preview_cards.refresh_after_commit(invitation_id)


def delete_media_rows(rows: list[InvitationMedia]) -> None:
    """Delete the rows now and their files once the transaction has committed."""
    for row in rows:
        db.session.delete(row)
    stored_files.delete_after_commit(
        key for row in rows for key in (row.storage_key, row.thumbnail_key)
    )


# --- Steps ---------------------------------------------------------------------------------


def _process(media_type: str, content: bytes) -> ProcessedFile:
    try:
        return process_audio(content) if media_type == MUSIC else process_image(content)
    except UnsupportedFileError as error:
        raise UnsupportedMediaTypeError(str(error)) from error
    except InvalidFileError as error:
        raise ValidationError(details={"file": [str(error)]}) from error
    except DecoderBusyError as error:
        raise UploadsBusyError() from error


def _store(storage, processed: ProcessedFile) -> dict[str, str]:
    """Write the file and its thumbnail under new random keys: {'main': key, 'thumbnail': key}."""
    name = secrets.token_hex(16)
    renditions = {"main": processed.main}
    if processed.thumbnail is not None:
        renditions["thumbnail"] = processed.thumbnail
    keys: dict[str, str] = {}
    try:
        for role, rendition in renditions.items():
            suffix = "" if role == "main" else "-thumb"
            key = f"{UPLOAD_FOLDER}/{name[:2]}/{name}{suffix}.{rendition.extension}"
            storage.save(key, rendition.content)
            keys[role] = key
    except Exception as error:
        _delete_files(storage, keys.values())
        current_app.logger.error("Media storage failed: %s", error)
        raise StorageFailedError() from error
    return keys


@transactional
def _record(user, invitation_id, media_type, caption, processed, keys) -> InvitationMedia:
    invitation = get_owned_invitation(user, invitation_id, for_update=True)
    # The UPDATE takes SQLite's write lock too, so concurrent uploads count one at a time.
    bump_version(invitation)
    if media_type == MUSIC:
        require_feature(invitation, "music")
    # A locking read: on MySQL it sees rows committed after this transaction's snapshot
    # (a plain read would not, under REPEATABLE READ).
    same_type = list(
        db.session.scalars(
            select(InvitationMedia)
            .where(
                InvitationMedia.invitation_id == invitation.id,
                InvitationMedia.media_type == media_type,
            )
            .with_for_update()
        )
    )
    if media_type == PHOTO:
        check_limit(invitation, "max_photos", len(same_type))
    replaced = same_type if media_type in SINGLE_SLOT_TYPES else []
    main = processed.main
    media = InvitationMedia(
        invitation_id=invitation.id,
        media_type=media_type,
        storage_key=keys["main"],
        thumbnail_key=keys.get("thumbnail"),
        mime_type=main.mime_type,
        size_bytes=len(main.content),
        width=main.width,
        height=main.height,
        sha256=main.sha256,
        caption=caption,
        duration_seconds=processed.duration_seconds,
        bitrate=processed.bitrate,
        display_order=replaced[0].display_order if replaced else _next_position(invitation),
    )
    db.session.add(media)
    db.session.flush()
    if replaced:
        _replace(invitation, replaced, media)
    preview_cards.refresh_after_commit(invitation_id)
    return media


def _replace(invitation: Invitation, old: list[InvitationMedia], new: InvitationMedia) -> None:
    """The data naming an old file names the new one; the old rows go now, their files once
    this transaction has committed (a failed upload leaves them as they were)."""
    old_ids = [row.id for row in old]
    for column in MEDIA_REFERENCES:
        db.session.execute(
            update(InvitationData)
            .where(InvitationData.invitation_id == invitation.id, column.in_(old_ids))
            .values({column: new.id})
        )
    delete_media_rows(old)


def _next_position(invitation: Invitation) -> int:
    last = db.session.scalar(
        select(func.max(InvitationMedia.display_order)).where(
            InvitationMedia.invitation_id == invitation.id
        )
    )
    return 0 if last is None else last + 1


def _media_of(invitation: Invitation) -> list[InvitationMedia]:
    return list(
        db.session.scalars(
            select(InvitationMedia)
            .where(InvitationMedia.invitation_id == invitation.id)
            .order_by(InvitationMedia.display_order, InvitationMedia.id)
        )
    )


def _one(invitation: Invitation, media_id: int) -> InvitationMedia:
    media = db.session.scalar(
        select(InvitationMedia).where(
            InvitationMedia.id == media_id, InvitationMedia.invitation_id == invitation.id
        )
    )
    if media is None:
        raise MediaNotFoundError()
    return media


def _delete_files(storage, keys) -> None:
    for key in list(keys):
        try:
            storage.delete(key)
        except Exception as error:  # noqa: BLE001 - a leftover file is logged, not raised
            current_app.logger.error("Could not delete stored file %s: %s", key, error)
