"""This process's counts of LLM calls, per model: how long answers took, errors, tokens.

Prometheus counters are process-wide by design (each process is scraped for its own), the one
kind of module state the project keeps. `runbot` and `runworker` serve them on `METRICS_PORT`.
"""

from prometheus_client import Counter, Histogram

from assistant.context import TokenCounts

ANSWER_SECONDS = Histogram(
    "consult_llm_answer_seconds",
    "Time to a whole answer, retries included, by the model that gave it.",
    ["model"],
    buckets=(0.5, 1, 2, 4, 8, 15, 30, 60, 120),
)
ERRORS = Counter(
    "consult_llm_errors", "Failed LLM calls, by model and kind of error.", ["model", "error"]
)
TOKENS = Counter(
    "consult_llm_tokens", "Tokens of whole answers (prompt, completion).", ["model", "kind"]
)


def count_answer(model: str, *, latency_ms: int, tokens: TokenCounts) -> None:
    ANSWER_SECONDS.labels(model).observe(latency_ms / 1000)
    TOKENS.labels(model, "prompt").inc(tokens.prompt or 0)
    TOKENS.labels(model, "completion").inc(tokens.completion or 0)


def count_error(model: str, error: Exception) -> None:
    """The error's type names its kind (RateLimitError, APITimeoutError, CutShortError, …)."""
    ERRORS.labels(model, type(error).__name__).inc()


AUDIO_SECONDS = Histogram(
    "consult_llm_audio_seconds",
    "Time to a transcript or a spoken answer, retries included, by model and kind.",
    ["model", "kind"],
    buckets=(0.5, 1, 2, 4, 8, 15, 30, 60, 120),
)


def count_audio(model: str, kind: str, *, latency_ms: int) -> None:
    """A voice message transcribed or an answer spoken ("transcription", "speech")."""
    AUDIO_SECONDS.labels(model, kind).observe(latency_ms / 1000)
