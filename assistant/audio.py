"""Voice through the models: a voice message transcribed, an answer read aloud.

Both calls are made like the chat calls (`assistant.replies`): the provider's timeouts, the same
retries of timeouts, 429 (Retry-After honoured) and 5xx within `LLM_TOTAL_DEADLINE`, errors
counted in the LLM metrics. Neither has a fallback model: a voice message that cannot be read
gets a note asking for text, an answer that cannot be spoken stays text.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings

from assistant.gateway import ClientPool, ModelSpec, speak, transcribe
from assistant.metrics import count_audio
from assistant.replies import record_failure, retry_delay
from core.timing import elapsed_ms

Value = TypeVar("Value")

TRANSCRIPTION = "transcription"
SPEECH = "speech"
#: OpenAI's `audio/speech` reads at most 4,096 characters; a longer answer stays text only.
SPEECH_MAX_CHARS = 4096


#: Markdown a voice would read out: emphasis, code and heading marks, quote marks at a line's start.
_MARKS = re.compile(r"[*`#~]+|^>\s?", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]+)\]\([^)\s]+\)")


def speakable(text: str) -> str:
    """An answer as it should be heard: a link reads as its words, Markdown marks go."""
    return _MARKS.sub("", _LINK.sub(r"\1", text))


@dataclass(frozen=True)
class AudioResult(Generic[Value]):
    """What one audio call gave (`value`, None when it failed for good) and what it cost."""

    value: Value | None
    model_name: str
    latency_ms: int
    error: str = ""


async def _with_retries(
    spec: ModelSpec, kind: str, call: Callable[[float], Awaitable[Value]]
) -> AudioResult[Value]:
    """`call(read_timeout)` until it succeeds, retrying what the chat calls retry."""
    started = time.monotonic()
    deadline = started + settings.LLM_TOTAL_DEADLINE
    error_text = "deadline exceeded"
    retries = settings.LLM_MAX_RETRIES
    for attempt_number in range(retries + 1):
        remaining = deadline - time.monotonic()  # positive: a retry waits only within it
        try:
            value = await asyncio.wait_for(call(remaining), remaining)
        except Exception as error:  # classified like the chat calls' failures
            error_text = record_failure(spec, error)
            delay = retry_delay(error, attempt_number)
            last = attempt_number == retries
            if delay is None or last or time.monotonic() + delay >= deadline:
                break
            await asyncio.sleep(delay)
            continue
        latency_ms = elapsed_ms(started)
        count_audio(spec.model_id, kind, latency_ms=latency_ms)
        return AudioResult(value, spec.model_id, latency_ms)
    return AudioResult(None, spec.model_id, elapsed_ms(started), error_text)


async def transcribe_voice(
    spec: ModelSpec, audio: bytes, *, filename: str, clients: ClientPool
) -> AudioResult[str]:
    """The words of a voice message or audio file."""

    async def call(read_timeout: float) -> str:
        return await transcribe(
            spec, audio, filename=filename, clients=clients, read_timeout=read_timeout
        )

    return await _with_retries(spec, TRANSCRIPTION, call)


async def speak_text(
    spec: ModelSpec, text: str, *, voice: str, clients: ClientPool
) -> AudioResult[bytes]:
    """`text` (Markdown, as the model writes) read aloud as OGG/Opus."""
    heard = speakable(text)

    async def call(read_timeout: float) -> bytes:
        return await speak(spec, heard, voice=voice, clients=clients, read_timeout=read_timeout)

    return await _with_retries(spec, SPEECH, call)
