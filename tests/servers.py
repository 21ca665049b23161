"""Servers the tests need besides the database: Redis, started by the suite itself, and
hung peers.

`redis_url` is a session-wide Redis: a redis-server of the run's own (free port, temporary
folder) when the binary is on PATH, else TEST_REDIS_URL when it answers. `own_redis` starts a
private one a test may freeze or kill. A test whose server cannot be had is skipped with the
reason (shown in the summary); under CI=true that is a failure, so CI never drops one
silently (docs/testing.md, "Tests"). `silent_server` accepts connections and never answers;
`trickling_server` sends a byte now and then, never a whole line.
"""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest
import redis

START_TIMEOUT_SECONDS = 10


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str):
    """Skip the test for want of a server; in CI, fail it instead."""
    if running_in_ci():
        pytest.fail(f"{reason} (CI=true: tests needing it must run)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


class RedisServer:
    """A redis-server process of the test run: no persistence, its own port and folder."""

    def __init__(self, binary: str, folder):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(folder)]
        command += ["--save", "", "--appendonly", "no", "--protected-mode", "no"]
        self.process = subprocess.Popen(  # noqa: S603 - our own arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _answers(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def freeze(self) -> None:
        """Stop the process without closing its sockets: connections open, nothing answered."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The URL of a Redis for this run (see the module docstring)."""
    binary = redis_server_binary()
    if binary:
        server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
        yield server.url
        server.stop()
        return
    url = os.environ.get("TEST_REDIS_URL")
    if url and _answers(url):
        yield url
        return
    unavailable("needs Redis: no redis-server on PATH and TEST_REDIS_URL unset or not answering")


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test alone, to freeze or stop; needs the binary."""
    binary = redis_server_binary()
    if binary is None:
        unavailable("needs a redis-server binary on PATH to start (and freeze) a Redis")
    server = RedisServer(binary, tmp_path)
    yield server
    server.stop()


@pytest.fixture(params=["memory", "redis"])
def limiter_storage(request) -> dict:
    """Settings that turn the rate limits on, counted in this process's memory, then in Redis
    as several workers share them (a key prefix of the test's own)."""
    settings = {"RATELIMIT_ENABLED": True}
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings |= {
            "RATELIMIT_STORAGE_URI": url,
            "REDIS_URL": url,
            "REDIS_KEY_PREFIX": request.getfixturevalue("redis_prefix"),
        }
    return settings


class SilentServer:
    """A TCP server that accepts every connection and never answers: a hung peer (a frozen
    process, a black-holed network) whose kernel still completes the handshake. With
    `trickle`, it sends that byte every `every` seconds instead, never finishing a line: each
    read of the client's is answered in time, the whole never."""

    def __init__(self, *, trickle: bytes | None = None, every: float = 0.1):
        self.trickle = trickle
        self.every = every
        self.accepted = 0
        self._stop = threading.Event()
        self._connections: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _address = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            self._connections.append(connection)
            if self.trickle is not None:
                threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        while not self._stop.wait(self.every):
            try:
                connection.sendall(self.trickle)
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        for connection in self._connections:
            connection.close()


@pytest.fixture
def silent_server():
    """A server of this test's own that accepts connections and never answers."""
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def trickling_server():
    """A server of this test's own that sends a byte every 0.1 s and never a whole line."""
    server = SilentServer(trickle=b"2")
    yield server
    server.close()
