"""A fake OpenAI-compatible API on 127.0.0.1 for the real ``openai`` SDK.

Emulated: ``POST /v1/chat/completions`` (plain JSON, or SSE when ``"stream": true``, with the
final usage chunk when ``stream_options.include_usage`` is set), ``GET /v1/models`` and
``GET /v1/models/<id>`` (404 for an id not in ``models``),
``POST /v1/audio/transcriptions`` (multipart: the file and the form's fields are recorded as
the request's body, the file as ``{"filename": ..., "content": bytes}``; answers
``{"text": ...}``) and ``POST /v1/audio/speech`` (answers ``SPOKEN`` bytes, an OGG header
and nothing playable), with the wire formats of the OpenAI API. Audio requests take their own
queue (``queue_audio``: ``Transcript``, ``Fail``, ``Stall``), then ``Transcript()``.
``POST /v1/embeddings`` answers one vector per input, made locally by ``fake_embedding`` (a
hashed bag of Snowball stems: texts sharing words are near), with its own queue
(``queue_embeddings``: ``Fail``, ``Stall``), then ``embeddings`` (``Embeddings()``).

What each completion does is scripted: queued behaviours
(``Reply``, ``ToolCall``, ``Fail``, ``Stall``, ``BrokenStream``) are used one per request in
arrival order, then ``default``.

A ``Reply`` ends the way a provider says why it stopped: ``finish_reason`` "stop" (the default),
"length" (the output token limit was hit), "content_filter", or ``None``: then the stream simply
ends after the text, with no finish reason, usage chunk or ``[DONE]``, as when a proxy or an
overloaded server closes the response early but cleanly (the SDK raises nothing for that).

A server made with ``report_usage=False`` (or with that attribute switched off) sends no token
counts at all, like llama.cpp: no usage chunk in a stream whatever ``stream_options`` asks, and
``"usage": null`` in a plain answer.

Not emulated: authentication (any key is accepted; script ``Fail(status=401)`` instead), real
token counting (usage is a rough length-based estimate unless given), other endpoints, and
request validation beyond "the body is JSON".
"""

import hashlib
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import snowballstemmer

from tests.fakes._http import LoopbackServer, parse_multipart

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_denied",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


def _estimate_tokens(text: str) -> int:
    return len(text) // 4 + 1


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), max(size, 1))]


@dataclass
class RecordedRequest:
    """One request as the fake saw it: header names lower-cased, ``at`` = monotonic arrival."""

    method: str
    path: str
    headers: dict
    body: dict | None
    at: float
    first_chunk_at: float | None = None  # monotonic, once the first streamed text is written


class _Completion:
    """What a behaviour needs to answer one completion request."""

    def __init__(self, fake, exchange, body, record: RecordedRequest | None = None):
        self.fake = fake
        self.exchange = exchange
        self.body = body
        self.record = record
        self.id = f"chatcmpl-fake{next(fake._ids)}"
        self.created = int(time.time())
        self.model = body.get("model") or "fake-model"

    @property
    def streaming(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def include_usage(self) -> bool:
        asked = (self.body.get("stream_options") or {}).get("include_usage")
        return bool(asked) and self.fake.report_usage

    def prompt_tokens(self) -> int:
        return _estimate_tokens(json.dumps(self.body.get("messages", [])))

    def usage(self, given, completion_text: str) -> dict | None:
        if not self.fake.report_usage:
            return None
        prompt, completion = given or (self.prompt_tokens(), _estimate_tokens(completion_text))
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def completion(self, message: dict, finish_reason: str | None, usage: dict | None) -> dict:
        message = {"role": "assistant", "refusal": None, **message}
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_fake",
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}
            ],
            "usage": usage,
        }

    def chunk(self, delta: dict | None, finish_reason: str | None = None, usage=None) -> dict:
        choices = []
        if delta is not None:
            choices = [
                {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
            ]
        payload = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_fake",
            "choices": choices,
        }
        if self.include_usage:
            payload["usage"] = usage
        return payload

    def start_stream(self):
        self.exchange.start_chunked("text/event-stream; charset=utf-8")

    def send_event(self, payload):
        data = payload if isinstance(payload, str) else json.dumps(payload)
        self.exchange.write_chunk(f"data: {data}\n\n".encode())

    def send_text(self, piece: str):
        """Stream a piece of the answer; the first one stamps ``first_chunk_at``."""
        self.send_event(self.chunk({"content": piece}))
        if self.record is not None and self.record.first_chunk_at is None:
            with self.fake._lock:
                self.record.first_chunk_at = time.monotonic()

    def finish_stream(self, last_delta: dict, finish_reason: str, usage: dict):
        self.send_event(self.chunk(last_delta, finish_reason))
        if self.include_usage:
            self.send_event(self.chunk(None, usage=usage))
        self.send_event("[DONE]")
        self.exchange.end_chunked()

    def pause(self, seconds: float):
        """Sleep that ends early when the fake stops, so ``stop()`` never waits on a script."""
        if seconds > 0:
            self.fake.closing.wait(seconds)

    def hold(self, event: threading.Event):
        """Wait for the test's event, or for the fake to stop."""
        while not (event.is_set() or self.fake.closing.is_set()):
            event.wait(0.05)


@dataclass(frozen=True)
class Reply:
    """An answer, streamed in ``chunk_size``-character deltas; how it ends: see the module."""

    text: str = "Hello from the fake model."
    chunk_size: int = 5
    delay_between_chunks: float = 0.0
    usage: tuple[int, int] | None = None  # (prompt_tokens, completion_tokens)
    finish_reason: str | None = "stop"
    #: When given, the stream sends `pieces_before_hold` pieces and then waits until this
    #: event is set, so a test decides when the rest comes instead of guessing with delays.
    held_until: threading.Event | None = None
    pieces_before_hold: int = 0

    def serve(self, call: _Completion):
        usage = call.usage(self.usage, self.text)
        if not call.streaming:
            call.exchange.send_json(
                200, call.completion({"content": self.text}, self.finish_reason, usage)
            )
            return
        call.start_stream()
        call.send_event(call.chunk({"role": "assistant", "content": "", "refusal": None}))
        for number, piece in enumerate(_pieces(self.text, self.chunk_size)):
            if number == self.pieces_before_hold and self.held_until is not None:
                call.hold(self.held_until)
            call.pause(self.delay_between_chunks)
            call.send_text(piece)
        if self.finish_reason is None:
            call.exchange.end_chunked()
            return
        call.finish_stream({}, self.finish_reason, usage)


@dataclass(frozen=True)
class ToolCall:
    """The model calls one function; streamed arguments arrive in ``chunk_size`` pieces."""

    name: str
    arguments_json: str = "{}"
    call_id: str = "call_fake1"
    chunk_size: int = 10
    usage: tuple[int, int] | None = None

    def serve(self, call: _Completion):
        usage = call.usage(self.usage, self.arguments_json)
        function = {"name": self.name, "arguments": self.arguments_json}
        tool_call = {"id": self.call_id, "type": "function", "function": function}
        if not call.streaming:
            message = {"content": None, "tool_calls": [tool_call]}
            call.exchange.send_json(200, call.completion(message, "tool_calls", usage))
            return
        call.start_stream()
        opening = {**tool_call, "index": 0, "function": {"name": self.name, "arguments": ""}}
        call.send_event(call.chunk({"role": "assistant", "content": None, "tool_calls": [opening]}))
        for piece in _pieces(self.arguments_json, self.chunk_size):
            call.send_event(
                call.chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            )
        call.finish_stream({}, "tool_calls", usage)


@dataclass(frozen=True)
class ReplyThenCall:
    """Streamed words, then a function call in the same answer (as some models do)."""

    text: str
    name: str
    arguments_json: str = "{}"
    call_id: str = "call_fake2"

    def serve(self, call: _Completion):
        usage = call.usage(None, self.text + self.arguments_json)
        call.start_stream()
        call.send_event(call.chunk({"role": "assistant", "content": ""}))
        for piece in _pieces(self.text, 5):
            call.send_text(piece)
        function = {"name": self.name, "arguments": self.arguments_json}
        opening = {"id": self.call_id, "type": "function", "index": 0, "function": function}
        call.send_event(call.chunk({"tool_calls": [opening]}))
        call.finish_stream({}, "tool_calls", usage)


@dataclass(frozen=True)
class Fail:
    """An HTTP error in the OpenAI error shape; ``retry_after`` sets the Retry-After header."""

    status: int = 500
    retry_after: float | None = None
    message: str = "The fake server was told to fail."

    def serve(self, call: _Completion):
        error = {
            "message": self.message,
            "type": _ERROR_TYPES.get(self.status, "server_error"),
            "param": None,
            "code": None,
        }
        headers = {} if self.retry_after is None else {"retry-after": str(self.retry_after)}
        call.exchange.send_json(self.status, {"error": error}, headers)


@dataclass(frozen=True)
class Stall:
    """Wait ``seconds`` before sending any header (to trip client timeouts), then do ``then``."""

    seconds: float = 3.0
    then: object = field(default_factory=Reply)

    def serve(self, call: _Completion):
        call.pause(self.seconds)
        if not call.fake.closing.is_set():
            self.then.serve(call)


@dataclass(frozen=True)
class BrokenStream:
    """Send ``text_before`` then drop the connection without ``[DONE]`` or the final chunk."""

    text_before: str = "Partial ans"
    chunk_size: int = 5

    def serve(self, call: _Completion):
        call.start_stream()
        if call.streaming:
            call.send_event(call.chunk({"role": "assistant", "content": ""}))
            for piece in _pieces(self.text_before, self.chunk_size):
                call.send_text(piece)
        else:
            call.exchange.write_chunk(b'{"id": "' + call.id.encode() + b'", "choices": [')
        call.exchange.abort()


#: What ``/v1/audio/speech`` answers: the start of an OGG stream, enough to tell it apart.
SPOKEN = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead"


@dataclass(frozen=True)
class Transcript:
    """An audio request answered: a transcription says ``text``; speech sends ``SPOKEN``."""

    text: str = "Hello from a voice message."

    def serve(self, call: _Completion):
        if call.record is not None and call.record.path.endswith("/audio/speech"):
            call.exchange.send_bytes(200, SPOKEN, "audio/ogg")
        else:
            call.exchange.send_json(200, {"text": self.text})


_STEMMERS = (snowballstemmer.stemmer("russian"), snowballstemmer.stemmer("english"))


def fake_embedding(text: str, dimensions: int = 256) -> list[float]:
    """A deterministic unit vector of `text`: each word's stems (Russian and English) counted
    in a bucket chosen by their hash, so texts that share words point the same way."""
    vector = [0.0] * dimensions
    for word in re.findall(r"[^\W_]+", text.lower().replace("ё", "е")):
        for stem in {stemmer.stemWord(word) for stemmer in _STEMMERS}:
            digest = hashlib.blake2b(stem.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "big") % dimensions] += 1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


@dataclass(frozen=True)
class Embeddings:
    """An embeddings request answered: ``vector_of`` each input (by default
    ``fake_embedding``), in order."""

    vector_of: Callable[[str], list[float]] = fake_embedding

    def serve(self, call: _Completion):
        texts = call.body.get("input") or []
        texts = [texts] if isinstance(texts, str) else texts
        data = [
            {"object": "embedding", "index": index, "embedding": self.vector_of(text)}
            for index, text in enumerate(texts)
        ]
        tokens = sum(_estimate_tokens(text) for text in texts)
        call.exchange.send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": call.model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )


def _model_object(model_id: str) -> dict:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "fake"}


def echo_last_user_message(body: dict) -> Reply:
    """A default responder: answer with the text of the last user message."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[-1].get("content", "") if users else ""
    if isinstance(content, list):  # content parts
        content = "".join(part.get("text", "") for part in content)
    return Reply(text=f"echo: {content}")


class FakeOpenAI(LoopbackServer):
    """Scripted OpenAI-compatible server; see the module docstring for what it emulates.

    ``default`` is a behaviour, or a callable taking the request body and returning one.
    """

    def __init__(self, default=None, models=("fake-model",), report_usage=True):
        super().__init__()
        self.default: object | Callable[[dict], object] = default or Reply()
        self.models = list(models)
        self.report_usage = report_usage
        self._lock = threading.Condition()
        self._queue = deque()
        self._audio_queue = deque()
        self._embedding_queue = deque()
        #: How embeddings requests are answered when none is queued.
        self.embeddings = Embeddings()
        self._requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def completion_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until ``count`` requests have arrived (from a thread other than the client's)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._requests) >= count, timeout):
                raise AssertionError(f"{count} requests not received within {timeout}s")
            return list(self._requests)

    def queue(self, *behaviours):
        """Script the next requests, one behaviour each, in order."""
        with self._lock:
            self._queue.extend(behaviours)

    def audio_requests(self, kind: str = "transcriptions") -> list[RecordedRequest]:
        """Requests of ``/v1/audio/<kind>``: "transcriptions" or "speech"."""
        return [r for r in self.requests if r.path == f"/v1/audio/{kind}"]

    def queue_audio(self, *behaviours):
        """Script the next audio requests (transcriptions and speech alike), in order."""
        with self._lock:
            self._audio_queue.extend(behaviours)

    def embedding_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/v1/embeddings"]

    def queue_embeddings(self, *behaviours):
        """Script the next embeddings requests, in order (then ``embeddings``)."""
        with self._lock:
            self._embedding_queue.extend(behaviours)

    def _next_embedding_behaviour(self):
        with self._lock:
            return self._embedding_queue.popleft() if self._embedding_queue else self.embeddings

    def _next_audio_behaviour(self):
        with self._lock:
            return self._audio_queue.popleft() if self._audio_queue else Transcript()

    def _next_behaviour(self, body: dict):
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return self.default(body) if callable(self.default) else self.default

    def _record(self, exchange) -> RecordedRequest:
        raw = exchange.read_body()
        content_type = exchange.headers.get("Content-Type", "")
        if content_type.startswith("multipart/"):
            body = parse_multipart(content_type, raw)
        else:
            body = json.loads(raw) if raw else None
        path = exchange.path.split("?", 1)[0]
        record = RecordedRequest(
            exchange.command,
            path,
            {k.lower(): v for k, v in exchange.headers.items()},
            body,
            time.monotonic(),
        )
        with self._lock:
            self._requests.append(record)
            self._lock.notify_all()
        return record

    def handle(self, exchange):
        record = self._record(exchange)
        if record.method == "POST" and record.path == "/v1/chat/completions":
            behaviour = self._next_behaviour(record.body)
            behaviour.serve(_Completion(self, exchange, record.body, record))
        elif record.method == "POST" and record.path in (
            "/v1/audio/transcriptions",
            "/v1/audio/speech",
        ):
            self._next_audio_behaviour().serve(_Completion(self, exchange, record.body, record))
        elif record.method == "POST" and record.path == "/v1/embeddings":
            behaviour = self._next_embedding_behaviour()
            behaviour.serve(_Completion(self, exchange, record.body, record))
        elif record.method == "GET" and record.path == "/v1/models":
            models = [_model_object(m) for m in self.models]
            exchange.send_json(200, {"object": "list", "data": models})
        elif record.method == "GET" and record.path.removeprefix("/v1/models/") in self.models:
            exchange.send_json(200, _model_object(record.path.removeprefix("/v1/models/")))
        else:
            Fail(status=404, message=f"Unknown path {record.path}").serve(
                _Completion(self, exchange, {})
            )
