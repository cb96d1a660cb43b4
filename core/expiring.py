"""A mapping whose entries vanish at their expiry time, for long-running processes.

The bot keeps small per-person and per-chat state (flood counters, Telegram pauses) for
every sender it has seen. Without expiry that grows with every new sender for as long as the
process lives; with it, memory follows the senders active right now.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

#: Below this size a sweep is not worth its time.
MIN_SWEEP_SIZE = 1024


class ExpiringMap(Generic[K, V]):
    """`set(key, value, expires_at)`; an expired entry reads as absent.

    Expired entries are swept when the map has doubled since the last sweep, so each write
    costs amortised O(1) and the map never holds more than about twice its live entries.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._items: dict[K, tuple[V, float]] = {}
        self._sweep_at = MIN_SWEEP_SIZE

    def get(self, key: K, default: V | None = None) -> V | None:
        item = self._items.get(key)
        if item is None:
            return default
        if item[1] <= self.clock():
            del self._items[key]
            return default
        return item[0]

    def set(self, key: K, value: V, expires_at: float) -> None:
        self._items[key] = (value, expires_at)
        if len(self._items) >= self._sweep_at:
            self.sweep()

    def sweep(self) -> None:
        now = self.clock()
        self._items = {key: item for key, item in self._items.items() if item[1] > now}
        self._sweep_at = max(MIN_SWEEP_SIZE, 2 * len(self._items))

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
