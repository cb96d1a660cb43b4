"""A log collector on 127.0.0.1 standing in for Vector/Loki/Logtail and for Sentry.

It records each POST (path, headers, body with gzip undone) and can answer slowly, to show
that a slow collector never slows the app. `stop()` cuts any delay short and joins every
thread, so no test leaves a server behind.
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
        collector.stopping.wait(collector.delay)
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
    def __init__(self, *, delay: float = 0.0):
        self.delay = delay
        self.stopping = threading.Event()
        self.received: list[Received] = []
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
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()  # joins the request threads
        self.thread.join()
