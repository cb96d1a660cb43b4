"""The LLM gateway: the only place that talks to OpenAI-compatible providers.

The openai SDK's own retries are switched off (`max_retries=0`) because the reply pipeline
owns the retry policy: it must honour a total deadline across retries and fall back to
another model, which the SDK cannot know about. Timeouts are always explicit, never the
SDK's 600 s default.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import openai

from assistant.api_keys import api_key_from_environment
from core.timing import elapsed_ms

NO_API_KEY = "not-set"


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to call one model, detached from the ORM for async code."""

    pk: int
    model_id: str
    display_name: str
    base_url: str
    api_key_env: str
    timeout_seconds: float
    connect_timeout_seconds: float
    temperature: float
    max_output_tokens: int
    context_window: int
    input_price_per_million: Decimal = Decimal(0)
    output_price_per_million: Decimal = Decimal(0)
    supports_tools: bool = True
    capabilities: tuple[str, ...] = ("chat",)

    @classmethod
    def from_model(cls, model) -> ModelSpec:
        provider = model.provider
        return cls(
            pk=model.pk,
            model_id=model.model_id,
            display_name=model.display_name,
            base_url=provider.base_url,
            api_key_env=provider.api_key_env,
            timeout_seconds=provider.timeout_seconds,
            connect_timeout_seconds=provider.connect_timeout_seconds,
            temperature=model.temperature,
            max_output_tokens=model.max_output_tokens,
            context_window=model.context_window,
            input_price_per_million=model.input_price_per_million,
            output_price_per_million=model.output_price_per_million,
            supports_tools=model.supports_tools,
            capabilities=tuple(model.capabilities),
        )

    def api_key(self) -> str:
        return api_key_from_environment(self.api_key_env) or NO_API_KEY

    @property
    def key_missing(self) -> bool:
        """A key variable is named but gives no key: the provider would refuse every call.

        A provider that names no variable (a local server) needs no key.
        """
        return bool(self.api_key_env) and not api_key_from_environment(self.api_key_env)


@dataclass(frozen=True)
class StreamChunk:
    """A piece of a streamed answer: new text, why the model stopped, the token usage, or a
    piece of a function the model calls (its name, then its arguments in pieces)."""

    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tool_name: str = ""
    tool_arguments: str = ""


@dataclass(frozen=True)
class PingResult:
    ok: bool
    latency_ms: int
    error: str = ""


def _timeout(spec: ModelSpec, read_timeout: float | None = None) -> openai.Timeout:
    read = spec.timeout_seconds if read_timeout is None else min(read_timeout, spec.timeout_seconds)
    return openai.Timeout(read, connect=min(spec.connect_timeout_seconds, read))


class ClientPool:
    """The LLM clients a running bot or chat keeps open, one per endpoint and key.

    A client's connections belong to the event loop that opened them, so a pool belongs to
    one runtime (one loop) and is closed with it. Staff may point models at new endpoints or
    rotate keys at any time, so only the most recently used few stay open.
    """

    def __init__(self, max_clients: int = 16):
        self.max_clients = max_clients
        self._clients: OrderedDict[tuple[str, str], openai.AsyncOpenAI] = OrderedDict()
        self._closing: set[asyncio.Task] = set()  # kept so they are not collected early

    def client(self, spec: ModelSpec) -> openai.AsyncOpenAI:
        key = (spec.base_url, spec.api_key())
        if key in self._clients:
            self._clients.move_to_end(key)
            return self._clients[key]
        self._clients[key] = openai.AsyncOpenAI(base_url=key[0], api_key=key[1], max_retries=0)
        while len(self._clients) > self.max_clients:
            _key, oldest = self._clients.popitem(last=False)
            closing = asyncio.get_running_loop().create_task(oldest.close())
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        return self._clients[key]

    def __len__(self) -> int:
        return len(self._clients)

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            await client.close()


async def stream_chat(
    spec: ModelSpec,
    messages: list[dict],
    *,
    clients: ClientPool,
    read_timeout: float | None = None,
    tools: list[dict] | None = None,
) -> AsyncIterator[StreamChunk]:
    """Stream a chat completion as text chunks, ending with a usage chunk when known.

    The chunk that carries the provider's `finish_reason` is passed on even without text:
    a stream can end cleanly yet cut short, and only that reason tells the two apart.
    `tools` are offered only to a model registered as supporting them; only the first
    function called is passed on.
    """
    client = clients.client(spec)
    offered = {"tools": tools} if tools and spec.supports_tools else {}
    stream = await client.chat.completions.create(
        model=spec.model_id,
        messages=messages,
        temperature=spec.temperature,
        max_tokens=spec.max_output_tokens,
        stream=True,
        stream_options={"include_usage": True},
        timeout=_timeout(spec, read_timeout),
        **offered,
    )
    async with stream:
        async for chunk in stream:
            choice = chunk.choices[0] if chunk.choices else None
            if choice is not None and (choice.delta.content or choice.finish_reason):
                yield StreamChunk(
                    text=choice.delta.content or "", finish_reason=choice.finish_reason
                )
            for call in (choice.delta.tool_calls or []) if choice is not None else []:
                if call.index == 0 and call.function is not None:
                    yield StreamChunk(
                        tool_name=call.function.name or "",
                        tool_arguments=call.function.arguments or "",
                    )
            if chunk.usage is not None:
                yield StreamChunk(
                    prompt_tokens=chunk.usage.prompt_tokens,
                    completion_tokens=chunk.usage.completion_tokens,
                )


@dataclass(frozen=True)
class Completion:
    """A whole (not streamed) answer: its text, or the arguments of the tool it called."""

    content: str
    tool_arguments: str | None
    prompt_tokens: int | None
    completion_tokens: int | None


async def complete_chat(
    spec: ModelSpec,
    messages: list[dict],
    *,
    clients: ClientPool,
    tools: list[dict] | None = None,
    tool_choice: dict | None = None,
    read_timeout: float | None = None,
) -> Completion:
    """One non-streamed completion, for structured output (a forced tool call or JSON)."""
    client = clients.client(spec)
    extra = {"tools": tools, "tool_choice": tool_choice} if tools else {}
    response = await client.chat.completions.create(
        model=spec.model_id,
        messages=messages,
        temperature=0,
        max_tokens=spec.max_output_tokens,
        timeout=_timeout(spec, read_timeout),
        **extra,
    )
    message = response.choices[0].message if response.choices else None
    calls = (message.tool_calls or []) if message else []
    usage = response.usage
    return Completion(
        content=(message.content or "") if message else "",
        tool_arguments=calls[0].function.arguments if calls else None,
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
    )


async def transcribe(
    spec: ModelSpec,
    audio: bytes,
    *,
    filename: str,
    clients: ClientPool,
    read_timeout: float | None = None,
) -> str:
    """The words of a voice message or audio file (`audio/transcriptions`); the file name's
    extension tells the provider the format (Telegram's voice notes are OGG/Opus)."""
    client = clients.client(spec)
    transcription = await client.audio.transcriptions.create(
        model=spec.model_id,
        file=(filename, audio),
        response_format="json",
        timeout=_timeout(spec, read_timeout),
    )
    return transcription.text


async def speak(
    spec: ModelSpec,
    text: str,
    *,
    voice: str,
    clients: ClientPool,
    read_timeout: float | None = None,
) -> bytes:
    """`text` read aloud (`audio/speech`) as OGG/Opus, the format of Telegram's voice notes."""
    client = clients.client(spec)
    response = await client.audio.speech.create(
        model=spec.model_id,
        voice=voice,
        input=text,
        response_format="opus",
        timeout=_timeout(spec, read_timeout),
    )
    return response.content


async def embed(
    spec: ModelSpec,
    texts: list[str],
    *,
    clients: ClientPool,
    read_timeout: float | None = None,
) -> list[list[float]]:
    """One vector per text (`embeddings`), in the texts' order whatever order the provider
    lists them in."""
    client = clients.client(spec)
    response = await client.embeddings.create(
        model=spec.model_id, input=texts, timeout=_timeout(spec, read_timeout)
    )
    return [item.embedding for item in sorted(response.data, key=lambda item: item.index)]


def ping_model(model) -> PingResult:
    """Make a one-token call so staff can check a provider and key from the admin; a model
    that does not chat (transcription, speech: their calls need audio, or cost a voice) is
    looked up instead (`GET /models/<id>`)."""
    spec = ModelSpec.from_model(model)
    client = openai.OpenAI(base_url=spec.base_url, api_key=spec.api_key(), max_retries=0)
    started = time.monotonic()
    try:
        if "chat" in spec.capabilities:
            client.chat.completions.create(
                model=spec.model_id,
                messages=[{"role": "user", "content": "ping"}],
                max_tokens=1,
                timeout=_timeout(spec),
            )
        else:
            client.models.retrieve(spec.model_id, timeout=_timeout(spec))
    except openai.OpenAIError as error:
        return PingResult(ok=False, latency_ms=elapsed_ms(started), error=describe_error(error))
    finally:
        client.close()
    return PingResult(ok=True, latency_ms=elapsed_ms(started))


def describe_error(error: Exception) -> str:
    """A short, secret-free description of a provider error for logs and staff."""
    if isinstance(error, openai.APITimeoutError):
        return "timeout"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}: {_short(_provider_message(error))}"
    if isinstance(error, openai.APIConnectionError):
        return "connection failed"
    return f"{type(error).__name__}: {_short(str(error))}"


def _provider_message(error: openai.APIStatusError) -> str:
    """The provider's own words, without the SDK's "Error code: NNN - {...}" wrapping."""
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
    return error.message


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
