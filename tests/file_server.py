"""A small HTTP server on 127.0.0.1 standing in for a published spreadsheet or a bucket.

It serves canned bodies per path, so a test can show how loaders treat a good file, a
404, or a body that is too large, without the internet.
"""

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class Route:
    body: bytes
    content_type: str
    status: int
    send_length: bool
    etag: str = ""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.asked.append((self.path, dict(self.headers)))
        route = self.server.routes.get(self.path)
        if route is None:
            route = Route(b"not found", "text/plain", 404, send_length=True)
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        if route.etag:
            self.send_header("ETag", route.etag)
        if route.send_length:
            self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        self.wfile.write(route.body)

    def log_message(self, format, *args):
        """Keep test output clean."""


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that hangs up early (at its size limit) is part of the test, not noise."""


class FileServer:
    def __init__(self):
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.routes = {}
        #: Each request as (path, headers), in order.
        self.httpd.asked = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(
        self,
        path: str,
        body: str | bytes,
        *,
        content_type: str = "text/plain",
        status: int = 200,
        send_length: bool = True,
        etag: str = "",
    ) -> str:
        """Serve `body` at `path` and return its URL; without a length the body ends at close.
        With an `etag`, a request naming it in If-None-Match gets 304 Not Modified."""
        data = body.encode() if isinstance(body, str) else body
        self.httpd.routes[path] = Route(data, content_type, status, send_length, etag)
        return self.url(path)

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    @property
    def asked(self) -> list[tuple[str, dict]]:
        return list(self.httpd.asked)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def file_server():
    """A `FileServer` for one test; stopped afterwards so no thread outlives the test."""
    server = FileServer()
    yield server
    server.close()
