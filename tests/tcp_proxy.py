"""A TCP proxy a test controls, to cut the network between the app and a server it uses.

`TcpProxy(host, port)` listens on a free local port and forwards every connection to the
target. `cut()` ends every connection and refuses new ones (connection refused, as from a
host that went away); `restore()` accepts again on the same port. Threads and sockets only.
"""

import socket
import threading
import time

CHUNK = 65536
POLL_SECONDS = 0.05
CONNECT_TIMEOUT_SECONDS = 2.0


class _Link:
    """One client connection and its connection to the target, pumped by two threads."""

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client = client
        self.upstream = upstream
        # Cleared by a cut: what the client sends from then on never reaches the target.
        self.forwarding = True
        self._closed = threading.Event()

    def start(self, on_close) -> None:
        for source, target, upstream in (
            (self.client, self.upstream, True),
            (self.upstream, self.client, False),
        ):
            threading.Thread(
                target=self._pump, args=(source, target, upstream, on_close), daemon=True
            ).start()

    def _pump(self, source, target, upstream: bool, on_close) -> None:
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                if upstream and not self.forwarding:
                    continue
                target.sendall(data)
        except OSError:
            pass
        finally:
            self.close()
            on_close(self)

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        for sock in (self.client, self.upstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self._lock = threading.Lock()
        self._links: set[_Link] = set()
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()
        self.port = self._listen(0)
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    def _listen(self, port: int) -> int:
        listener = socket.create_server(("127.0.0.1", port))
        listener.settimeout(POLL_SECONDS)
        with self._lock:
            self._listener = listener
        return listener.getsockname()[1]

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                listener = self._listener
            if listener is None:
                time.sleep(POLL_SECONDS)
                continue
            try:
                client, _address = listener.accept()
            except (TimeoutError, OSError):
                continue
            self._open_link(client)

    def _open_link(self, client: socket.socket) -> None:
        client.settimeout(None)
        try:
            upstream = socket.create_connection(self.target, timeout=CONNECT_TIMEOUT_SECONDS)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        link = _Link(client, upstream)
        with self._lock:
            if self._listener is None:  # cut while this one was being opened
                link.close()
                return
            self._links.add(link)
        link.start(self._forget)

    def _forget(self, link: _Link) -> None:
        with self._lock:
            self._links.discard(link)

    def cut(self, drain_seconds: float = 0.3) -> None:
        """Refuse new connections and end the open ones.

        First nothing more is forwarded to the target, then for `drain_seconds` its answers
        to what it already received still reach the clients, then every connection closes.
        So a command the server got (a COMMIT) is always answered, and a client that gets an
        error knows the server never saw the command it was sending: a real network cut can
        lose the answer to a commit that happened, which no server can tell its client.
        """
        with self._lock:
            listener, self._listener = self._listener, None
            links = list(self._links)
        if listener is not None:
            _close_listener(listener)
        for link in links:
            link.forwarding = False
        time.sleep(drain_seconds)
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close()

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        with self._lock:
            if self._listener is not None:
                return
        self._listen(self.port)

    def close(self) -> None:
        self._stopped.set()
        self.cut(drain_seconds=0)
        self._acceptor.join(timeout=5)


def _close_listener(listener: socket.socket) -> None:
    # Shut down first: that wakes the accepting thread at once, so the port is free to
    # listen on again right away (a bare close waits for that thread to let go).
    try:
        listener.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    listener.close()
