"""Stored files of deleted rows: removed by a background job once the deletion has committed.

A job rather than a step of the request: erasing an account can mean hundreds of files, one
FTPS connection each, and a storage server that is down or slow must neither hold the
request nor lose the deletion; the job is retried with growing delays until the files are
gone. The orphan sweep (services/orphan_files.py) catches whatever still remains.
"""

import logging
from collections.abc import Iterable

from utils.jobs import enqueue
from utils.storage import StorageError, get_storage

logger = logging.getLogger(__name__)


def delete_after_commit(keys: Iterable[str | None]) -> None:
    """Inside a deletion's transaction: delete these files once it has committed."""
    wanted = sorted({key for key in keys if key})
    if wanted:
        enqueue("delete_stored_files", wanted)


def delete_stored_files(keys: list[str]) -> int:
    """Delete each file (one already gone is fine); how many were deleted. Raises StorageError
    when some could not be, after trying all: the job is then run again for every key."""
    storage = get_storage()
    failed = []
    for key in keys:
        try:
            storage.delete(key)
        except Exception as error:  # noqa: BLE001 - every key is tried before the retry
            logger.warning("Could not delete the stored file %s: %s", key, error)
            failed.append(key)
    if failed:
        raise StorageError(f"could not delete {len(failed)} of {len(keys)} stored files")
    return len(keys)
