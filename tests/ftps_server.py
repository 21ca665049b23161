"""A real FTPS server for tests: pyftpdlib with TLS required on control and data channels,
its certificate from a throwaway CA (trustme) that the client is told to trust."""

import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.servers import FTPServer

USER = "media"
PASSWORD = "s3cret-ftps-password"


@dataclass
class Faults:
    """Misbehaviour to switch on: drop the connection on the given STORs (counted from 1),
    or on every STOR from `drop_from_store` on."""

    drop_from_store: int | None = None
    drop_stores: frozenset[int] = frozenset()
    stores: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class FtpsServer:
    def __init__(self, root: Path, certificates: Path, *, read_only: bool = False):
        self.root = root
        self.faults = Faults()
        ca = trustme.CA()
        self.ca_file = certificates / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        server_pem = certificates / "server.pem"
        ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(server_pem))

        authorizer = DummyAuthorizer()
        authorizer.add_user(USER, PASSWORD, str(root), perm="elr" if read_only else "elradfmwMT")
        faults = self.faults

        class Handler(TLS_FTPHandler):
            certfile = str(server_pem)
            tls_control_required = True
            tls_data_required = True
            # pyftpdlib waits 3 s before answering a failed login by default.
            auth_failed_timeout = 0.1

            def ftp_STOR(self, file, mode="w"):  # noqa: N802 - pyftpdlib's name
                with faults.lock:
                    faults.stores += 1
                    drop = faults.stores in faults.drop_stores or (
                        faults.drop_from_store is not None
                        and faults.stores >= faults.drop_from_store
                    )
                if drop:
                    self.close()
                    return None
                return super().ftp_STOR(file, mode)

        Handler.authorizer = authorizer
        self.server = FTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"timeout": 0.05}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.close_all()
        self.thread.join(timeout=5)

    def config(self) -> dict:
        """The app settings that point the storage at this server."""
        return {
            "FTP_HOST": "127.0.0.1",
            "FTP_PORT": self.port,
            "FTP_USER": USER,
            "FTP_PASSWORD": PASSWORD,
            "FTP_BASE_DIR": "/",
            "FTP_TIMEOUT_SECONDS": 3,
            "FTP_CA_FILE": str(self.ca_file),
            "MEDIA_BASE_URL": "https://cdn.example.pe/media",
        }

    def files(self) -> list[str]:
        return sorted(
            str(path.relative_to(self.root)) for path in self.root.rglob("*") if path.is_file()
        )


# Fixtures (registered in conftest.py's pytest_plugins): a server of the test's own, and the
# app's storage settings pointed at it.
@pytest.fixture
def ftps(tmp_path):
    """A TLS FTP server of this test's own, on a free port."""
    root = tmp_path / "ftp"
    root.mkdir()
    with FtpsServer(root, tmp_path) as server:
        yield server


@pytest.fixture
def on_ftps(app, ftps, monkeypatch):
    for name, value in ftps.config().items():
        monkeypatch.setitem(app.config, name, value)
    return ftps
