"""A log collector on 127.0.0.1 standing in for Vector/Loki/Logtail and for Sentry.

It records each POST (path, headers, body with gzip undone). Built with `held=True` it keeps
every request waiting unanswered until `release()`, to show that a stuck collector never holds
up the app: a test checks what the app did while the collector was still holding, which needs
no clock. `stop()` releases what is held and joins every thread, so no test leaves a server
behind.
"""

import gzip
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def lines(self) -> list[str]:
        return self.body.decode().splitlines()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        collector = self.server.collector
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        collector.hold()
        # Recorded before answering, so a client that got its answer finds it recorded.
        collector.record(Received(self.path, dict(self.headers), body))
        try:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            return  # the client gave up waiting; it is the point of the slow tests

    def log_message(self, format, *args):
        """Keep test output quiet."""


class LogCollector:
    def __init__(self, *, held: bool = False):
        self._released = threading.Event()
        if not held:
            self._released.set()
        self.received: list[Received] = []
        self.waiting = 0  # requests held unanswered right now
        self._arrived = threading.Condition()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.collector = self
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self.thread.start()

    def url(self, path: str = "/ingest") -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def hold(self) -> None:
        """Keep the request unanswered until `release()` (or `stop()`) when built held."""
        with self._arrived:
            self.waiting += 1
            self._arrived.notify_all()
        self._released.wait()
        with self._arrived:
            self.waiting -= 1

    def release(self) -> None:
        self._released.set()

    def wait_until_holding(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Wait until `count` requests are held unanswered."""
        with self._arrived:
            return self._arrived.wait_for(lambda: self.waiting >= count, timeout)

    def record(self, received: Received) -> None:
        with self._arrived:
            self.received.append(received)
            self._arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until `count` requests have arrived."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.received) >= count, timeout)

    @property
    def lines(self) -> list[str]:
        return [line for received in self.received for line in received.lines]

    def stop(self) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()  # joins the request threads
        self.thread.join()
