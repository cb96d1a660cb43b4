"""A per-contact sliding-window limit on LLM calls, so one person cannot flood the provider."""

from __future__ import annotations

import time
from collections import deque


class CallLimiter:
    """Allows `max_calls` per `window_seconds` for each key; in-process and lock-free.

    The bot runs in one asyncio loop, so no lock is needed. `warn` is True on the first
    refusal of a window only, so the person gets one polite note rather than one per message.
    """

    def __init__(self, max_calls: int, window_seconds: float, clock=time.monotonic):
        self.max_calls = max_calls
        self.window_seconds = window_seconds
        self.clock = clock
        self._calls: dict[object, deque[float]] = {}
        self._warned_until: dict[object, float] = {}

    def allow(self, key: object) -> tuple[bool, bool]:
        """Return (allowed, warn)."""
        now = self.clock()
        calls = self._calls.setdefault(key, deque())
        while calls and now - calls[0] >= self.window_seconds:
            calls.popleft()
        if len(calls) < self.max_calls:
            calls.append(now)
            return True, False
        warn = self._warned_until.get(key, 0.0) <= now
        if warn:
            self._warned_until[key] = calls[0] + self.window_seconds
        return False, warn

    def forget_idle(self) -> None:
        """Drop keys with no recent calls so memory stays bounded in a long-running bot."""
        now = self.clock()
        idle = [
            key
            for key, calls in self._calls.items()
            if not calls or now - calls[-1] >= self.window_seconds
        ]
        for key in idle:
            self._calls.pop(key, None)
            self._warned_until.pop(key, None)
