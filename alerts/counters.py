"""This process's own counters as alerts read them: how much they grew over a recent period.

Prometheus counters only grow; a check samples them, and `CounterWindow` keeps the samples of
the longest period a rule looks back, so a rule reads the growth over its own window.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.metrics import ANSWER_SECONDS, ERRORS
from bot.ratelimit import RETRY_AFTER_ANSWERS

#: Samples older than this are dropped (no rule looks back further).
LONGEST_WINDOW_MINUTES = 24 * 60


@dataclass(frozen=True)
class Totals:
    """Failed LLM calls and whole answers by model, and Telegram's 429 answers."""

    errors_by_model: dict[str, float] = field(default_factory=dict)
    answers_by_model: dict[str, float] = field(default_factory=dict)
    retry_after: float = 0.0

    def minus(self, earlier: Totals) -> Totals:
        return Totals(
            _minus(self.errors_by_model, earlier.errors_by_model),
            _minus(self.answers_by_model, earlier.answers_by_model),
            self.retry_after - earlier.retry_after,
        )


def _minus(now: dict[str, float], earlier: dict[str, float]) -> dict[str, float]:
    return {key: value - earlier.get(key, 0.0) for key, value in now.items()}


def _summed(metric, suffix: str, label: str | None = None) -> dict[str, float]:
    sums: dict[str, float] = defaultdict(float)
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith(suffix):
                sums[sample.labels[label] if label else ""] += sample.value
    return dict(sums)


def read_process_counters() -> Totals:
    return Totals(
        _summed(ERRORS, "_total", "model"),
        _summed(ANSWER_SECONDS, "_count", "model"),
        _summed(RETRY_AFTER_ANSWERS, "_total").get("", 0.0),
    )


class CounterWindow:
    """Samples of the process's counters, taken at each check (`clock` in seconds)."""

    def __init__(
        self,
        read: Callable[[], Totals] = read_process_counters,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.read = read
        self.clock = clock
        self._samples: deque[tuple[float, Totals]] = deque()

    def sample(self) -> None:
        now = self.clock()
        self._samples.append((now, self.read()))
        while self._samples[0][0] < now - LONGEST_WINDOW_MINUTES * 60:
            self._samples.popleft()

    def change(self, *, minutes: float) -> Totals:
        """Growth since the oldest sample within `minutes` (or since the process started
        counting, when it has run for less)."""
        if not self._samples:
            return Totals()
        latest_at, latest = self._samples[-1]
        start = next(
            (totals for at, totals in self._samples if at >= latest_at - minutes * 60), latest
        )
        return latest.minus(start)
