"""The orphan-file sweep: stored uploads and cards no row points at any more.

They are left by a crash between writing a file and committing its row, or by a deletion
whose after-commit file removal failed. Only files older than ORPHAN_GRACE are removed: a
younger one may belong to an upload whose row has not committed yet. The storage is listed
first and the rows read after, so a row committed meanwhile is seen.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from extensions import db
from models.invitation import Invitation
from models.invitation_media import InvitationMedia
from utils.storage import get_storage
from utils.time import utcnow

logger = logging.getLogger(__name__)

ORPHAN_GRACE = timedelta(hours=24)
# The folders whose files belong to rows (template art and the like live elsewhere).
SWEPT_FOLDERS = ("uploads/", "cards/")
BATCH = 500


def sweep_orphan_files(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Delete the orphans; returns how many files were looked at, found orphaned, deleted."""
    storage = get_storage()
    cutoff = (now or utcnow()) - ORPHAN_GRACE
    old = [
        stored.key
        for stored in storage.list_files()
        if stored.key.startswith(SWEPT_FOLDERS) and stored.modified_at < cutoff
    ]
    orphans = [
        key for start in range(0, len(old), BATCH) for key in _unused(old[start : start + BATCH])
    ]
    db.session.rollback()
    deleted = 0
    for key in orphans if not dry_run else ():
        try:
            storage.delete(key)
            deleted += 1
        except Exception as error:  # noqa: BLE001 - the next sweep tries again
            logger.warning("Could not delete the orphan file %s: %s", key, error)
    if orphans:
        logger.info("Orphan files: %s found, %s deleted", len(orphans), deleted)
    return {"checked": len(old), "orphaned": len(orphans), "deleted": deleted}


def _unused(keys: list[str]) -> list[str]:
    used: set[str] = set()
    for column in (
        InvitationMedia.storage_key,
        InvitationMedia.thumbnail_key,
        Invitation.preview_card_key,
    ):
        used.update(db.session.scalars(select(column).where(column.in_(keys))))
    return [key for key in keys if key not in used]
