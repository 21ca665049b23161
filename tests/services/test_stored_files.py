"""Files of deleted rows: the `delete_stored_files` job, retried until the storage lets it."""

import pytest

from services.stored_files import delete_stored_files
from utils.jobs import TRANSIENT_ERRORS
from utils.storage import StorageError, get_storage

KEYS = ["uploads/ab/photo.jpg", "uploads/ab/photo-thumb.jpg", "cards/7-card.jpg"]


def test_every_file_is_deleted_and_a_missing_one_is_fine(on_ftps):
    storage = get_storage()
    for key in KEYS[:2]:
        storage.save(key, b"\xff\xd8\xff")
    storage.save("uploads/cd/kept.jpg", b"\xff\xd8\xff")

    assert delete_stored_files(KEYS) == 3

    assert on_ftps.files() == ["uploads/cd/kept.jpg"]


def test_a_storage_that_refuses_is_a_transient_failure_and_nothing_is_lost(
    app, on_ftps, monkeypatch
):
    storage = get_storage()
    for key in KEYS:
        storage.save(key, b"\xff\xd8\xff")
    password = app.config["FTP_PASSWORD"]
    monkeypatch.setitem(app.config, "FTP_PASSWORD", "wrong-password")

    with pytest.raises(StorageError, match="3 of 3") as failure:
        delete_stored_files(KEYS)

    assert isinstance(failure.value, TRANSIENT_ERRORS)  # the job is retried later
    assert on_ftps.files() == sorted(KEYS)
    monkeypatch.setitem(app.config, "FTP_PASSWORD", password)
    assert delete_stored_files(KEYS) == 3
    assert on_ftps.files() == []
