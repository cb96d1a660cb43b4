"""Measuring how long something took, for latency figures staff read."""

import time


def elapsed_ms(started: float) -> int:
    """Milliseconds since `started`, a `time.monotonic()` reading."""
    return int((time.monotonic() - started) * 1000)
