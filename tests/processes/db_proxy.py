"""A TCP proxy in front of PostgreSQL that a test can cut, to make the database unreachable.

The bot's processes connect through it; `cut` closes every connection and refuses new ones
(each is reset as soon as it is accepted), `restore` lets connections through again.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

CHUNK = 65536


class DatabaseProxy:
    """Forwards 127.0.0.1:`port` to `upstream`; threads only, stopped by `close`."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._cut = threading.Event()
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, name="db proxy")
        self._accepting.start()

    def cut(self) -> None:
        """The database is unreachable: open connections break, new ones are refused."""
        self._cut.set()
        self._drop_all()

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._closing.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept
        self._listener.close()
        self._drop_all()
        self._accepting.join()
        for thread in self._threads:
            thread.join()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _address = self._listener.accept()
            except OSError:  # the listener was closed
                return
            if self._cut.is_set():
                _reset(client)
                continue
            self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream)
        except OSError:
            _reset(client)
            return
        with self._lock:  # `cut` drops what is registered: a pair it missed must not live
            if self._cut.is_set():
                _reset(client)
                server.close()
                return
            self._sockets.update((client, server))
        for source, target in ((client, server), (server, client)):
            thread = threading.Thread(target=self._pump, args=(source, target), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        """Copy one direction until either side closes; then close both."""
        with contextlib.suppress(OSError):
            while data := source.recv(CHUNK):
                target.sendall(data)
        for end in (source, target):
            self._forget(end)

    def _forget(self, end: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(end)
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()

    def _drop_all(self) -> None:
        with self._lock:
            open_sockets = list(self._sockets)
        for end in open_sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _reset(connection: socket.socket) -> None:
    """Close with a reset, as a host that refuses connections would."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()
