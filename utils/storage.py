"""Where uploaded files live: one small interface, two backends (README, "Media storage").

The local folder (MEDIA_ROOT, served at /media) is the default; FTPS is used when FTP_HOST is
set, with public URLs under MEDIA_BASE_URL. Keys are chosen by the server and never reused,
so a stored file never changes.
"""

import os
from pathlib import Path
from typing import Protocol

from flask import current_app

from utils.ftp_manager import FtpsClient, FtpsSettings
from utils.media import existing_media_file, media_url, write_media_file


class StorageError(RuntimeError):
    """The storage backend failed (unreachable, refused, wrong size after upload)."""


class Storage(Protocol):
    def save(self, key: str, content: bytes) -> None: ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str: ...

    def check(self) -> None: ...


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

    def url(self, key: str) -> str:
        return media_url(key)

    def check(self) -> None:
        root = Path(current_app.config["MEDIA_ROOT"])
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"cannot create {root}: {error}") from error
        if not os.access(root, os.W_OK):
            raise StorageError(f"{root} is not writable")


class FtpsStorage:
    def __init__(self, settings: FtpsSettings):
        self.settings = settings

    def save(self, key: str, content: bytes) -> None:
        FtpsClient(self.settings).upload(key, content)

    def read(self, key: str) -> bytes:
        return FtpsClient(self.settings).download(key)

    def delete(self, key: str) -> None:
        FtpsClient(self.settings).delete(key)

    def url(self, key: str) -> str:
        return media_url(key)

    def check(self) -> None:
        FtpsClient(self.settings).check()


def get_storage() -> Storage:
    config = current_app.config
    if config.get("FTP_HOST"):
        return FtpsStorage(FtpsSettings.from_config(config))
    return LocalStorage()
