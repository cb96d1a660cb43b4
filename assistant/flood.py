"""A per-contact sliding-window limit on LLM calls, so one person cannot flood the provider."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from core.expiring import ExpiringMap


@dataclass
class _Window:
    calls: deque[float] = field(default_factory=deque)
    warned_until: float = 0.0


class CallLimiter:
    """Allows `max_calls` per `window_seconds` for each key; in-process and lock-free.

    The bot runs in one asyncio loop, so no lock is needed. `warn` is True on the first
    refusal of a window only, so the person gets one polite note rather than one per message.
    A key is forgotten once its window has passed, so memory follows the active senders.
    """

    def __init__(self, max_calls: int, window_seconds: float, clock=time.monotonic):
        self.max_calls = max_calls
        self.window_seconds = window_seconds
        self.clock = clock
        self._windows: ExpiringMap[object, _Window] = ExpiringMap(clock)

    def allow(self, key: object) -> tuple[bool, bool]:
        """Return (allowed, warn)."""
        now = self.clock()
        window = self._windows.get(key) or _Window()
        calls = window.calls
        while calls and now - calls[0] >= self.window_seconds:
            calls.popleft()
        allowed, warn = len(calls) < self.max_calls, False
        if allowed:
            calls.append(now)
        elif window.warned_until <= now:
            warn = True
            window.warned_until = (calls[0] if calls else now) + self.window_seconds
        last_call = calls[-1] if calls else now
        expires_at = max(last_call + self.window_seconds, window.warned_until)
        self._windows.set(key, window, expires_at=expires_at)
        return allowed, warn

    def tracked_keys(self) -> int:
        """How many senders are remembered (for memory checks)."""
        return len(self._windows)
