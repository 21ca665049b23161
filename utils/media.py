"""Files under MEDIA_ROOT and the absolute URLs clients load them from (docs/editor-and-media.md,
"Media")."""

import os
import re
import tempfile
from pathlib import Path, PurePosixPath

from flask import current_app

DEFAULT_PORT = 5000  # the Makefile's, when PORT is unset
MEDIA_URL_PATH = "/media"
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# The longest file or folder name common file systems (ext4, XFS) take, in bytes.
MAX_NAME_BYTES = 255


class UnsafeMediaPathError(ValueError):
    """A media name that could leave MEDIA_ROOT (`..`, an absolute path, a hidden file)."""


def local_app_url() -> str:
    """Where `make run` serves: 127.0.0.1 on the app's PORT (5000 when unset)."""
    return f"http://127.0.0.1:{os.environ.get('PORT') or DEFAULT_PORT}"


def public_base_url() -> str:
    """PUBLIC_BASE_URL, else where `make run` serves; never a request's Host, which anyone
    sending the request chooses (and which would end up in shared cached pages)."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    return local_app_url()


def media_base_url() -> str:
    """MEDIA_BASE_URL; else the app's own /media route under the public base URL."""
    config = current_app.config
    if config.get("MEDIA_BASE_URL"):
        return config["MEDIA_BASE_URL"].rstrip("/")
    return public_base_url() + MEDIA_URL_PATH


def media_url(name: str) -> str:
    """The absolute URL of the media file `name` (a relative POSIX path)."""
    return f"{media_base_url()}/{_checked(name)}"


def asset_url(value: str | None) -> str | None:
    """A stored image reference as clients load it: a URL with a scheme as given, a
    site path (`/a/b`) under the public base URL, a media key under the media base URL."""
    if not value:
        return None
    if SCHEME.match(value):
        return value
    if value.startswith("/"):
        return public_base_url() + value
    return media_url(value)


def asset_reference(value: str | None) -> str | None:
    """What to store for an image reference: a URL or `/media/` path into our own media
    becomes its key (so it follows the base URLs later); anything else is kept as given."""
    if not value:
        return value
    for prefix in (media_base_url() + "/", public_base_url() + MEDIA_URL_PATH + "/"):
        if value.startswith(prefix):
            return _key_or(value[len(prefix) :], value)
    if value.startswith(MEDIA_URL_PATH + "/"):
        return _key_or(value[len(MEDIA_URL_PATH) + 1 :], value)
    return value


def media_path(name: str) -> Path:
    """Where `name` lives under MEDIA_ROOT; refuses anything that would leave it."""
    return Path(current_app.config["MEDIA_ROOT"]).joinpath(*PurePosixPath(_checked(name)).parts)


def existing_media_file(name: str) -> Path | None:
    """The regular file `name` names inside MEDIA_ROOT, or None: unsafe names, folders,
    missing files and links leading outside MEDIA_ROOT all give None."""
    try:
        path = media_path(name)
    except UnsafeMediaPathError:
        return None
    root = Path(current_app.config["MEDIA_ROOT"]).resolve()
    if not path.is_file() or not path.resolve().is_relative_to(root):
        return None
    return path


def write_media_file(name: str, content: bytes) -> Path:
    """Write `content` as `name` atomically (a reader never sees half a file)."""
    path = media_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        # mkstemp makes it 0600; nginx serves it as another user (www-data).
        os.fchmod(handle, 0o644)
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _key_or(key: str, fallback: str) -> str:
    try:
        return _checked(key)
    except UnsafeMediaPathError:
        return fallback


def _checked(name: str) -> str:
    parts = PurePosixPath(name).parts
    if (
        not parts
        or "\\" in name
        or "\x00" in name
        or PurePosixPath(name).is_absolute()
        or any(part in ("..", ".") or part.startswith(".") for part in parts)
        # Longer than a file name may be: the file system would refuse it with an error.
        or any(len(part.encode()) > MAX_NAME_BYTES for part in parts)
    ):
        raise UnsafeMediaPathError(f"unsafe media name {name!r}")
    return "/".join(parts)
