"""Where uploaded files live: one small interface, two backends (docs/editor-and-media.md, "Media
uploads and storage").

The local folder (MEDIA_ROOT, served at /media) is the default; FTPS is used when FTP_HOST is
set, with public URLs under MEDIA_BASE_URL (built from the keys by utils/media.py). Keys are
chosen by the server and never reused, so a stored file never changes. Within one HTTP request
every FTPS operation shares one deadline, FTP_DEADLINE_SECONDS from the first, so a hung server
costs a request that long at most however many files it touches (docs/operations.md, "Operations").
"""

import ftplib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Protocol

from flask import current_app, g, has_request_context

from utils.ftp_manager import FtpsClient, FtpsError, FtpsSettings
from utils.media import existing_media_file, write_media_file


class StorageError(RuntimeError):
    """The storage backend failed (unreachable, refused, wrong size after upload)."""


class Storage(Protocol):
    def save(self, key: str, content: bytes) -> None: ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def check(self) -> None: ...

    def list_keys(self) -> list[str]: ...

    def list_files(self) -> list["StoredFile"]: ...


class LocalStorage:
    def save(self, key: str, content: bytes) -> None:
        try:
            write_media_file(key, content)
        except OSError as error:
            raise StorageError(f"could not write {key}: {error}") from error

    def read(self, key: str) -> bytes:
        path = existing_media_file(key)
        if path is None:
            raise StorageError(f"no stored file {key}")
        try:
            return path.read_bytes()
        except OSError as error:
            raise StorageError(f"could not read {key}: {error}") from error

    def delete(self, key: str) -> None:
        path = existing_media_file(key)
        if path is not None:
            path.unlink(missing_ok=True)

    def check(self) -> None:
        root = Path(current_app.config["MEDIA_ROOT"])
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"cannot create {root}: {error}") from error
        if not os.access(root, os.W_OK):
            raise StorageError(f"{root} is not writable")

    def list_keys(self) -> list[str]:
        """Every stored file's key, sorted; hidden names (uploads in progress) left out."""
        return [stored.key for stored in self.list_files()]

    def list_files(self) -> list["StoredFile"]:
        """Every stored file (key and modification time), sorted by key; hidden names left out."""
        root = Path(current_app.config["MEDIA_ROOT"])
        files = []
        for folder, folders, names in os.walk(root):
            folders[:] = [name for name in folders if not name.startswith(".")]
            for name in names:
                path = Path(folder) / name
                key = path.relative_to(root).as_posix()
                if not name.startswith(".") and existing_media_file(key) is not None:
                    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                    files.append(StoredFile(key, modified))
        return sorted(files)


class FtpsStorage:
    """FTPS failures surface as StorageError, like the local folder's: a job that meets a hung
    or unreachable server is retried later (utils/jobs.py), not given up on."""

    def __init__(self, settings: FtpsSettings):
        self.settings = settings

    def save(self, key: str, content: bytes) -> None:
        with _as_storage_error():
            self._client().upload(key, content)

    def read(self, key: str) -> bytes:
        with _as_storage_error():
            return self._client().download(key)

    def delete(self, key: str) -> None:
        with _as_storage_error():
            self._client().delete(key)

    def check(self) -> None:
        with _as_storage_error():
            self._client().check()

    def list_keys(self) -> list[str]:
        """Every stored file's key under FTP_BASE_DIR, sorted, read with MLSD (RFC 3659: pure-ftpd,
        ProFTPD and pyftpdlib have it, vsftpd does not); hidden names left out."""
        return [stored.key for stored in self.list_files()]

    def list_files(self) -> list["StoredFile"]:
        """Every stored file (key and modification time) under FTP_BASE_DIR, sorted by key."""
        client = self._client()
        with _as_storage_error():
            return client._retrying(lambda ftp: _ftp_files(ftp, self.settings.base_dir), "list")

    def _client(self) -> FtpsClient:
        return FtpsClient(self.settings, deadline=self._request_deadline())

    def _request_deadline(self) -> float | None:
        """The deadline the FTPS operations of the current request share; None outside one."""
        if not has_request_context():
            return None
        if "ftps_deadline" not in g:
            g.ftps_deadline = time.monotonic() + self.settings.deadline_seconds
        return g.ftps_deadline


@contextmanager
def _as_storage_error() -> Iterator[None]:
    try:
        yield
    except FtpsError as error:
        raise StorageError(str(error)) from error


def _ftp_files(ftp: ftplib.FTP_TLS, base_dir: str) -> list["StoredFile"]:
    files, folders = [], [""]
    while folders:
        folder = folders.pop()
        listing = ftp.mlsd(str(PurePosixPath(base_dir, folder)), facts=["type", "modify"])
        for name, facts in listing:
            if name.startswith("."):
                continue
            key = f"{folder}/{name}" if folder else name
            kind = facts.get("type", "").lower()
            if kind == "dir":
                folders.append(key)
            elif kind == "file":
                files.append(StoredFile(key, _mlsd_time(facts.get("modify"))))
    return sorted(files)


def _mlsd_time(value: str | None) -> datetime:
    """MLSD's `modify` fact: YYYYMMDDHHMMSS[.sss] in UTC (RFC 3659); a server that leaves it
    out makes the file count as new, so nothing is removed on a guess."""
    if not value:
        return datetime.now(UTC)
    return datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


@dataclass(frozen=True, order=True)
class StoredFile:
    key: str
    modified_at: datetime


def get_storage() -> Storage:
    config = current_app.config
    if config.get("FTP_HOST"):
        return FtpsStorage(FtpsSettings.from_config(config))
    return LocalStorage()
