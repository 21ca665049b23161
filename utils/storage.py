"""Where uploaded files live: one small interface, two backends (README, "Media storage").

The local folder (MEDIA_ROOT, served at /media) is the default; FTPS is used when FTP_HOST is
set, with public URLs under MEDIA_BASE_URL (built from the keys by utils/media.py). Keys are
chosen by the server and never reused, so a stored file never changes.
"""

import ftplib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Protocol

from flask import current_app

from utils.ftp_manager import FtpsClient, FtpsSettings
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
    def __init__(self, settings: FtpsSettings):
        self.settings = settings

    def save(self, key: str, content: bytes) -> None:
        FtpsClient(self.settings).upload(key, content)

    def read(self, key: str) -> bytes:
        return FtpsClient(self.settings).download(key)

    def delete(self, key: str) -> None:
        FtpsClient(self.settings).delete(key)

    def check(self) -> None:
        FtpsClient(self.settings).check()

    def list_keys(self) -> list[str]:
        """Every stored file's key under FTP_BASE_DIR, sorted, read with MLSD (RFC 3659: pure-ftpd,
        ProFTPD and pyftpdlib have it, vsftpd does not); hidden names left out."""
        return [stored.key for stored in self.list_files()]

    def list_files(self) -> list["StoredFile"]:
        """Every stored file (key and modification time) under FTP_BASE_DIR, sorted by key."""
        client = FtpsClient(self.settings)
        return client._retrying(lambda ftp: _ftp_files(ftp, self.settings.base_dir), "list")


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
