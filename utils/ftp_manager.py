"""FTPS uploads that leave either the whole file or nothing (README, "Media storage").

TLS protects the control and the data channel (`prot_p`; ftplib leaves data in clear text
otherwise). An upload goes to a temporary name, its size is checked on the server, and only
then is it renamed to its key. Transient failures (timeouts, dropped connections, 4xx
replies) are retried with a short backoff; permanent ones (5xx) are not.
"""

import ftplib
import io
import secrets
import ssl
import time
from dataclasses import dataclass
from pathlib import PurePosixPath

RETRIES = 3
BACKOFF_SECONDS = 0.2
TRANSIENT = (ftplib.error_temp, OSError, EOFError)


class FtpsError(RuntimeError):
    """The FTPS server could not store, check or delete a file."""


@dataclass(frozen=True)
class FtpsSettings:
    host: str
    port: int
    user: str
    password: str
    base_dir: str
    timeout: float
    ca_file: str | None = None

    @classmethod
    def from_config(cls, config) -> "FtpsSettings":
        return cls(
            host=config["FTP_HOST"],
            port=int(config.get("FTP_PORT") or 21),
            user=config.get("FTP_USER") or "",
            password=config.get("FTP_PASSWORD") or "",
            base_dir=(config.get("FTP_BASE_DIR") or "/").rstrip("/") or "/",
            timeout=float(config.get("FTP_TIMEOUT_SECONDS") or 10),
            ca_file=config.get("FTP_CA_FILE") or None,
        )


class FtpsClient:
    def __init__(self, settings: FtpsSettings, *, retries: int = RETRIES):
        self.settings = settings
        self.retries = retries

    def upload(self, key: str, content: bytes) -> None:
        self._retrying(lambda ftp: self._upload(ftp, key, content), f"upload {key}")

    def download(self, key: str) -> bytes:
        """The whole stored file; a missing one is refused (550), not retried."""
        return self._retrying(lambda ftp: self._download(ftp, key), f"download {key}")

    def delete(self, key: str) -> None:
        self._retrying(lambda ftp: self._delete(ftp, key), f"delete {key}")

    def check(self) -> None:
        self._retrying(lambda ftp: ftp.voidcmd("NOOP"), "check")

    def _retrying(self, action, what: str):
        for attempt in range(1, self.retries + 1):
            try:
                with self._connect() as ftp:
                    return action(ftp)
            except ftplib.error_perm as error:
                raise FtpsError(f"FTPS {what} refused: {error}") from error
            except TRANSIENT as error:
                if attempt == self.retries:
                    raise FtpsError(f"FTPS {what} failed: {error}") from error
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _connect(self) -> ftplib.FTP_TLS:
        settings = self.settings
        context = ssl.create_default_context(cafile=settings.ca_file)
        # TLS on both channels (prot_p below): not the plain FTP that S321 warns of.
        ftp = ftplib.FTP_TLS(context=context, timeout=settings.timeout)  # noqa: S321
        try:
            ftp.connect(settings.host, settings.port, timeout=settings.timeout)
            ftp.login(settings.user, settings.password)
            ftp.prot_p()
        except BaseException:
            ftp.close()
            raise
        return ftp

    def _path(self, key: str) -> str:
        return str(PurePosixPath(self.settings.base_dir, key))

    def _upload(self, ftp: ftplib.FTP_TLS, key: str, content: bytes) -> None:
        final = PurePosixPath(self._path(key))
        self._make_dirs(ftp, final.parent)
        temporary = str(final.with_name(f".upload-{secrets.token_hex(8)}"))
        try:
            ftp.storbinary(f"STOR {temporary}", io.BytesIO(content))
            ftp.voidcmd("TYPE I")
            stored = ftp.size(temporary)
            if stored != len(content):
                raise FtpsError(f"stored {stored} bytes of {len(content)}")
            ftp.rename(temporary, str(final))
        except BaseException:
            _ignore_errors(lambda: ftp.delete(temporary))
            raise

    def _download(self, ftp: ftplib.FTP_TLS, key: str) -> bytes:
        buffer = io.BytesIO()
        ftp.retrbinary(f"RETR {self._path(key)}", buffer.write)
        return buffer.getvalue()

    def _delete(self, ftp: ftplib.FTP_TLS, key: str) -> None:
        try:
            ftp.delete(self._path(key))
        except ftplib.error_perm as error:
            if not str(error).startswith("550"):
                raise

    def _make_dirs(self, ftp: ftplib.FTP_TLS, folder: PurePosixPath) -> None:
        current = PurePosixPath("/")
        for part in folder.parts[1:] if folder.is_absolute() else folder.parts:
            current = current / part
            try:
                ftp.mkd(str(current))
            except ftplib.error_perm as error:
                if not str(error).startswith("550"):
                    raise


def _ignore_errors(action) -> None:
    try:
        action()
    except Exception:  # noqa: BLE001, S110 - cleanup after a failure already being raised
        pass
