"""The orphan-file sweep (`flask media sweep-orphans`, the `sweep_orphan_files` beat job)."""

import os
import time
from datetime import timedelta

from extensions import db
from models.invitation_media import InvitationMedia
from services.orphan_files import sweep_orphan_files
from utils.storage import get_storage
from utils.time import utcnow

TWO_DAYS = 2 * 24 * 3600


def stored(root, key: str, *, age_seconds: int = 0) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff" + key.encode())
    stamp = time.time() - age_seconds
    os.utime(path, (stamp, stamp))


def media_row(invitation, key: str, thumbnail: str | None = None) -> None:
    db.session.add(
        InvitationMedia(
            invitation_id=invitation.id,
            media_type="photo",
            storage_key=key,
            thumbnail_key=thumbnail,
            mime_type="image/jpeg",
            size_bytes=10,
            sha256="0" * 64,
        )
    )
    db.session.commit()


def test_only_old_files_no_row_points_at_are_deleted(media_root, make):
    invitation = make.invitation(preview_card_key="cards/1-card.jpg")
    media_row(invitation, "uploads/ab/photo.jpg", thumbnail="uploads/ab/photo-thumb.webp")
    for key in ("uploads/ab/photo.jpg", "uploads/ab/photo-thumb.webp", "cards/1-card.jpg"):
        stored(media_root, key, age_seconds=TWO_DAYS)
    stored(media_root, "uploads/cd/orphan.jpg", age_seconds=TWO_DAYS)
    stored(media_root, "cards/9-old.jpg", age_seconds=TWO_DAYS)
    stored(media_root, "uploads/ef/in-flight.jpg")  # an upload whose row has not committed yet
    stored(media_root, "templates/classic.jpg", age_seconds=TWO_DAYS)  # not the sweep's folder

    assert sweep_orphan_files() == {"checked": 5, "orphaned": 2, "deleted": 2}

    assert get_storage().list_keys() == [
        "cards/1-card.jpg",
        "templates/classic.jpg",
        "uploads/ab/photo-thumb.webp",
        "uploads/ab/photo.jpg",
        "uploads/ef/in-flight.jpg",
    ]


def test_a_dry_run_counts_and_deletes_nothing(media_root):
    stored(media_root, "uploads/cd/orphan.jpg", age_seconds=TWO_DAYS)
    assert sweep_orphan_files(dry_run=True) == {"checked": 1, "orphaned": 1, "deleted": 0}
    assert (media_root / "uploads/cd/orphan.jpg").exists()


def test_the_command_sweeps(media_root, runner):
    stored(media_root, "uploads/cd/orphan.jpg", age_seconds=TWO_DAYS)
    result = runner.invoke(args=["media", "sweep-orphans"])
    assert result.exit_code == 0, result.output
    assert "1 checked, 1 orphaned, 1 deleted" in result.output
    assert not (media_root / "uploads/cd/orphan.jpg").exists()


def test_the_sweep_works_on_the_ftps_storage(on_ftps, make):
    invitation = make.invitation()
    media_row(invitation, "uploads/ab/photo.jpg")
    storage = get_storage()
    storage.save("uploads/ab/photo.jpg", b"kept")
    storage.save("uploads/cd/orphan.jpg", b"orphan")

    # Just written: within the grace period, nothing goes.
    assert sweep_orphan_files()["deleted"] == 0
    # A day and a bit later (by the server's modification times, read with MLSD).
    counts = sweep_orphan_files(now=utcnow() + timedelta(hours=25))

    assert counts == {"checked": 2, "orphaned": 1, "deleted": 1}
    assert storage.list_keys() == ["uploads/ab/photo.jpg"]
