"""FTPS uploads that leave either the whole file or nothing (docs/editor-and-media.md, "Media
uploads and storage").

TLS protects the control and the data channel (`prot_p`; ftplib leaves data in clear text
otherwise). An upload goes to a temporary name, its size is checked on the server, and only
then is it renamed to its key. Transient failures (timeouts, dropped connections, 4xx
replies) are retried with a short backoff; permanent ones (5xx) are not.

Each step waits at most FTP_TIMEOUT_SECONDS, and the whole operation, retries included, ends
by its deadline (FTP_DEADLINE_SECONDS, or an earlier one the caller gives): the sockets are
shut when it passes, so a server that hangs or trickles cannot hold the caller longer.
"""

import ftplib
import io
import secrets
import ssl
import time
from dataclasses import dataclass
from pathlib import PurePosixPath

from utils.deadlines import current_deadline, earliest, seconds_left, shut_at

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
    deadline_seconds: float = 12.0
    ca_file: str | None = None

    @classmethod
    def from_config(cls, config) -> "FtpsSettings":
        return cls(
            host=config["FTP_HOST"],
            port=int(config.get("FTP_PORT") or 21),
            user=config.get("FTP_USER") or "",
            password=config.get("FTP_PASSWORD") or "",
            base_dir=(config.get("FTP_BASE_DIR") or "/").rstrip("/") or "/",
            timeout=float(config.get("FTP_TIMEOUT_SECONDS") or 5),
            deadline_seconds=float(config.get("FTP_DEADLINE_SECONDS") or 12),
            ca_file=config.get("FTP_CA_FILE") or None,
        )


class FtpsClient:
    """`deadline` (a time.monotonic() value) ends every operation of this client by then,
    besides each one's own FTP_DEADLINE_SECONDS and any deadline the caller's context set."""

    def __init__(
        self, settings: FtpsSettings, *, retries: int = RETRIES, deadline: float | None = None
    ):
        self.settings = settings
        self.retries = retries
        self.deadline = deadline

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
        deadline = earliest(
            time.monotonic() + self.settings.deadline_seconds, self.deadline, current_deadline()
        )
        for attempt in range(1, self.retries + 1):
            try:
                return self._attempt(action, deadline)
            except ftplib.error_perm as error:
                raise FtpsError(f"FTPS {what} refused: {error}") from error
            except TRANSIENT as error:
                pause = BACKOFF_SECONDS * 2 ** (attempt - 1)
                if attempt == self.retries or deadline - time.monotonic() <= pause:
                    raise FtpsError(f"FTPS {what} failed: {error}") from error
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _attempt(self, action, deadline: float):
        seconds_left(deadline)  # fails at once when it has passed: no TLS set up for nothing
        settings = self.settings
        context = ssl.create_default_context(cafile=settings.ca_file)
        ftp = _DeadlineFtps(context=context, step_timeout=settings.timeout, deadline=deadline)
        with shut_at(deadline, ftp.open_sockets):
            try:
                ftp.connect(settings.host, settings.port)
                ftp.login(settings.user, settings.password)
                ftp.prot_p()
                result = action(ftp)
                # Said, not waited for: the work is done, and a late "221" must not undo it.
                _ignore_errors(lambda: ftp.putcmd("QUIT"))
            finally:
                ftp.close()
        return result

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


# TLS on both channels (prot_p above): not the plain FTP that S321 warns of.
class _DeadlineFtps(ftplib.FTP_TLS):  # noqa: S321
    """FTP_TLS whose every wait ends by `deadline`: each command and data connection waits
    at most the time left (and at most `step_timeout`), and `open_sockets` names the data
    connections too, for `shut_at` to close when the deadline passes."""

    def __init__(self, *, context: ssl.SSLContext, step_timeout: float, deadline: float):
        super().__init__(context=context, timeout=step_timeout)
        self.step_timeout = step_timeout
        self.deadline = deadline
        self.data_sockets: list = []

    def open_sockets(self) -> list:
        return [self.sock, *self.data_sockets]

    def _time_left(self) -> float:
        return seconds_left(self.deadline, self.step_timeout)

    def connect(self, host="", port=0, timeout=None, source_address=None):
        return super().connect(host, port, self._time_left(), source_address)

    def putcmd(self, line):
        if self.sock is not None:
            self.sock.settimeout(self._time_left())
        super().putcmd(line)

    def ntransfercmd(self, cmd, rest=None):
        self.timeout = self._time_left()  # the data connection's, from connecting on
        conn, size = super().ntransfercmd(cmd, rest)
        self.data_sockets.append(conn)
        return conn, size


def _ignore_errors(action) -> None:
    try:
        action()
    except Exception:  # noqa: BLE001, S110 - cleanup after a failure already being raised
        pass
