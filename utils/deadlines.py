"""Deadlines for calls out: shared by the steps of one piece of work, enforced on sockets.

A socket timeout bounds one wait; a peer that trickles (each byte in time, the whole far too
slow) can still hold a caller for ever. `shut_at` closes the sockets when the deadline
passes, which ends any wait on them at once. `deadline_within` sets a deadline that the
calls out inside it share (docs/operations.md, "Operations").
"""

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# The monotonic time by which calls out made now must be over; None when none is set.
_deadline: ContextVar[float | None] = ContextVar("calls_out_deadline", default=None)


class DeadlineExceeded(TimeoutError):
    """A deadline passed before the call out was over (a TimeoutError, hence an OSError)."""


@contextmanager
def deadline_within(seconds: float) -> Iterator[float]:
    """Inside: calls out that honour deadlines end within `seconds` from now in all (or by an
    earlier deadline already set). Yields the deadline (time.monotonic())."""
    end = earliest(time.monotonic() + seconds, _deadline.get())
    token = _deadline.set(end)
    try:
        yield end
    finally:
        _deadline.reset(token)


def current_deadline() -> float | None:
    return _deadline.get()


def earliest(limit: float, *deadlines: float | None) -> float:
    """The earliest of `limit` and those of `deadlines` that are set."""
    return min([limit, *(deadline for deadline in deadlines if deadline is not None)])


def seconds_left(deadline: float, cap: float | None = None) -> float:
    """The time left until `deadline` (at most `cap`); DeadlineExceeded once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("the deadline passed")
    return left if cap is None else min(left, cap)


class SocketGuard:
    """Shuts down the sockets `sockets()` names if the guarded block is still running at
    `deadline`; `expired` then tells the block's failure was the deadline's doing."""

    def __init__(self, deadline: float, sockets: Callable[[], Iterable[socket.socket | None]]):
        self._sockets = sockets
        self._expired = threading.Event()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True

    @property
    def expired(self) -> bool:
        return self._expired.is_set()

    def __enter__(self) -> "SocketGuard":
        self._timer.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        self._expired.set()
        for sock in self._sockets():
            if sock is None:
                continue
            try:
                # The plain socket's shutdown, also for TLS ones: it wakes a thread blocked
                # reading or writing it, without touching the TLS state that thread is using.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass  # already closed


@contextmanager
def shut_at(
    deadline: float, sockets: Callable[[], Iterable[socket.socket | None]]
) -> Iterator[SocketGuard]:
    """Run the block; if it is still running at `deadline`, shut `sockets()` down and raise
    DeadlineExceeded, in place of whatever error that caused, or of the block's end: what it
    read from a socket shut mid-reply (a line cut short) is not to be trusted."""
    guard = SocketGuard(deadline, sockets)
    try:
        with guard:
            yield guard
    except Exception as error:
        if guard.expired:
            raise DeadlineExceeded("the deadline passed") from error
        raise
    if guard.expired:
        raise DeadlineExceeded("the deadline passed")
