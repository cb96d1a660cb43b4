"""A threaded HTTP/1.1 server on 127.0.0.1 that stops cleanly, shared by both fakes, and
the multipart forms both read (uploads).

Both fakes run in background threads so the code under test can use its real async clients on
its own event loop. ``stop()`` must leave no thread behind, even when a client still holds a
keep-alive connection or a handler is stalling on purpose: open sockets are shut down and every
handler thread is joined.
"""

import contextlib
import json
import socket
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_multipart(content_type: str, raw: bytes) -> dict:
    """A multipart form's fields: text as text, a file as ``{"filename", "content"}``."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        filename = part.get_filename()
        fields[name] = {"filename": filename, "content": content} if filename else content.decode()
    return fields


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() joins every handler thread
    request_queue_size = 512  # hundreds of chats may connect at once

    def __init__(self, owner):
        self.owner = owner
        self._open = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Exchange)

    def process_request(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_open_connections(self):
        """Unblock handlers waiting on idle keep-alive connections."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class Exchange(BaseHTTPRequestHandler):
    """One request: hands itself to the owning fake and offers small response helpers."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def _dispatch(self):
        try:
            self.server.owner.handle(self)
        except OSError:
            self.close_connection = True  # the client went away (its timeout fired) or we stop

    def log_message(self, format, *args):
        """Keep test output quiet."""

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, payload, headers=None):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_bytes(self, status: int, body: bytes, content_type: str):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self, content_type: str):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def write_chunk(self, data: bytes):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")

    def abort(self):
        """Close the connection mid-body, as a crashed upstream or a cut network would."""
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


class LoopbackServer:
    """Start/stop plumbing; subclasses implement ``handle(exchange)``."""

    def __init__(self):
        self._server = None
        self._thread = None
        self.closing = threading.Event()
        self.root_url = ""

    def start(self):
        self.closing.clear()
        self._server = _Server(self)
        host, port = self._server.server_address
        self.root_url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self.closing.set()
        self._wake_waiters()
        self._server.shutdown()
        self._server.drop_open_connections()
        self._server.server_close()
        self._thread.join()
        self._server = None

    def _wake_waiters(self):
        """Hook: release handlers blocked on something other than ``closing``."""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
