"""Getting one answer from the models: bounded retries, a fallback model, a total deadline.

Only network faults and provider overload are retried (timeouts, 429, 5xx, a stream that
breaks or ends without saying it is finished, an answer cut at the token limit, an empty or
blank answer); a 4xx such as a bad key, or an answer stopped by the provider's content
filter, goes straight to the fallback model, since repeating it cannot help.

An answer is whole only when the provider says why it stopped and the reason is not one of
`CUT_SHORT`: a stream that simply ends (a proxy or an overloaded server closing it early)
looks complete to the SDK. What is left when no attempt finishes is delivered as partial.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import openai

from assistant.context import token_counts
from assistant.gateway import ClientPool, ModelSpec, describe_error, stream_chat
from assistant.metrics import count_answer, count_error
from core.backoff import Backoff
from core.timing import elapsed_ms

logger = logging.getLogger(__name__)

RETRY_BACKOFF = Backoff(0.5, 8.0)


OnText = Callable[[str], Awaitable[None]]


# finish_reason values that mean the text is not the whole answer. None: the stream ended
# without one. Any other value ("stop", or a server's own such as TGI's "eos_token") ends it.
CUT_SHORT = (None, "", "length", "content_filter")
CONTENT_FILTER = "content_filter"


class EmptyAnswerError(Exception):
    """The provider finished the stream without a single word (blanks do not count)."""


class CutShortError(Exception):
    """The stream ended without a finish reason that marks a whole answer."""

    def __init__(self, finish_reason: str | None):
        super().__init__(finish_reason)
        self.finish_reason = finish_reason

    def __str__(self) -> str:
        if self.finish_reason == CONTENT_FILTER:
            return "answer stopped by the content filter"
        return f"answer cut short (finish reason: {self.finish_reason or 'none'})"


@dataclass(frozen=True)
class ReplyResult:
    text: str
    status: str  # "complete", "partial" or "failed", as Message.Status
    model_name: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: int = 0
    error: str = ""
    tokens_estimated: bool = False
    #: The function the model called instead of (or after) answering, and its arguments.
    tool_call: tuple[str, str] | None = None


@dataclass
class _Attempt:
    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tool_name: str = ""
    tool_arguments: str = ""


async def generate_reply(
    *,
    models: list[ModelSpec],
    messages: list[dict],
    on_text: OnText,
    deadline_seconds: float,
    max_retries: int,
    clients: ClientPool,
    tools: list[dict] | None = None,
) -> ReplyResult:
    """Stream an answer, retrying and falling back until the deadline.

    `on_text` gets the whole answer so far after every chunk; after a retry it starts
    again from the new attempt's text.
    """
    started = time.monotonic()
    deadline = started + deadline_seconds
    best_partial, last_error = "", ""
    for spec in models:
        for attempt_number in range(max_retries + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            attempt = _Attempt()
            try:
                await asyncio.wait_for(
                    _stream_into(attempt, spec, messages, on_text, remaining, clients, tools),
                    remaining,
                )
            except Exception as error:  # every failure is classified below
                last_error = record_failure(spec, error)
                if attempt.text.strip():
                    best_partial = max(best_partial, attempt.text, key=len)
                delay = retry_delay(error, attempt_number)
                if delay is None or attempt_number == max_retries:
                    break
                if time.monotonic() + delay >= deadline:
                    break
                await asyncio.sleep(delay)
                continue
            tokens = token_counts(
                attempt.prompt_tokens,
                attempt.completion_tokens,
                messages=messages,
                answer=attempt.text,
            )
            latency_ms = elapsed_ms(started)
            count_answer(spec.model_id, latency_ms=latency_ms, tokens=tokens)
            return ReplyResult(
                text=attempt.text,
                status="complete",
                model_name=spec.model_id,
                prompt_tokens=tokens.prompt,
                completion_tokens=tokens.completion,
                latency_ms=latency_ms,
                tokens_estimated=tokens.estimated,
                tool_call=(
                    (attempt.tool_name, attempt.tool_arguments) if attempt.tool_name else None
                ),
            )
    status = "partial" if best_partial else "failed"
    model_name = models[0].model_id if models else ""
    return ReplyResult(
        text=best_partial,
        status=status,
        model_name=model_name,
        latency_ms=elapsed_ms(started),
        error=last_error or ("deadline exceeded" if models else "no model is configured"),
    )


async def _stream_into(
    attempt: _Attempt,
    spec: ModelSpec,
    messages: list[dict],
    on_text: OnText,
    timeout: float,
    clients: ClientPool,
    tools: list[dict] | None,
) -> None:
    chunks = stream_chat(spec, messages, clients=clients, read_timeout=timeout, tools=tools)
    async for chunk in chunks:
        attempt.tool_name += chunk.tool_name
        attempt.tool_arguments += chunk.tool_arguments
        if chunk.text:
            attempt.text += chunk.text
            await on_text(attempt.text)
        if chunk.finish_reason:
            attempt.finish_reason = chunk.finish_reason
        if chunk.prompt_tokens is not None:
            attempt.prompt_tokens = chunk.prompt_tokens
            attempt.completion_tokens = chunk.completion_tokens
    if not attempt.text.strip() and not attempt.tool_name:
        raise EmptyAnswerError
    if attempt.finish_reason in CUT_SHORT:
        raise CutShortError(attempt.finish_reason)


def retry_delay(error: Exception, attempt_number: int) -> float | None:
    """Seconds to wait before retrying the same model, or None when retrying is pointless."""
    backoff = RETRY_BACKOFF.delay(attempt_number)
    if isinstance(error, CutShortError) and error.finish_reason == CONTENT_FILTER:
        return None
    if isinstance(error, openai.RateLimitError):
        return max(_retry_after_seconds(error), backoff)
    if isinstance(error, openai.APIStatusError):
        return backoff if error.status_code >= 500 else None
    # Timeouts, dropped connections and broken streams surface as several exception types
    # (the SDK's, its HTTP library's, asyncio's): all of them are worth another try.
    return backoff


def _retry_after_seconds(error: openai.APIStatusError) -> float:
    value = error.response.headers.get("retry-after", "") if error.response else ""
    try:
        return max(float(value), 0.0)
    except ValueError:
        return 0.0


def record_failure(spec: ModelSpec, error: Exception) -> str:
    count_error(spec.model_id, error)
    if isinstance(error, asyncio.TimeoutError):
        description = "deadline exceeded"
    elif isinstance(error, EmptyAnswerError):
        description = "empty answer"
    elif isinstance(error, CutShortError):
        description = str(error)
    else:
        description = describe_error(error)
    logger.warning("LLM %s failed: %s", spec.model_id, description)
    return description
