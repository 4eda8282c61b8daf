"""A cap on open connections: idle ones (and ones stuck sending headers) give way to new ones."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

IDLE = "idle"  # waiting for a request line (a keep-alive connection between requests)
HEADERS = "headers"  # reading a request's headers
BUSY = "busy"  # reading a body, working, answering


class ConnectionTable:
    """The emulator's open connections and what each is doing.

    At the cap, a new connection evicts the oldest idle ones, then the oldest of those still
    sending headers (a slow or stalled client); if every connection is busy, it is refused.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("max_connections must be at least 1")
        self.limit = limit
        self._lock = threading.Lock()
        self._states: dict[socket.socket, tuple[str, float]] = {}

    def sockets(self) -> frozenset[socket.socket]:
        """The connections open now (a test can wait until those a client opened are closed)."""
        with self._lock:
            return frozenset(self._states)

    def admit(self, sock: socket.socket) -> bool:
        with self._lock:
            if len(self._states) >= self.limit:
                self._evict()
            if len(self._states) >= self.limit:
                return False
            self._states[sock] = (IDLE, time.monotonic())
            return True

    def mark(self, sock: socket.socket, state: str) -> None:
        with self._lock:
            if sock in self._states:
                self._states[sock] = (state, time.monotonic())

    def release(self, sock: socket.socket) -> None:
        with self._lock:
            self._states.pop(sock, None)

    def _evict(self) -> None:
        """Shut down the oldest evictable connections (a tenth of the cap, at least one): the
        thread reading from each sees end-of-file and ends."""
        evictable = [
            (state != IDLE, since, sock)
            for sock, (state, since) in self._states.items()
            if state in (IDLE, HEADERS)
        ]
        evictable.sort(key=lambda item: item[:2])
        for _, _, sock in evictable[: max(1, self.limit // 10)]:
            with contextlib.suppress(OSError):
                # socket.socket's own shutdown: an SSLSocket's would tear down its TLS state
                # under the thread still reading from it
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            del self._states[sock]
