"""Fixed latency buckets: percentiles of any period from per-day counts.

Percentiles cannot be added up day by day, but counts per bucket can. Each bucket spans 4%
(from 1.04^(n-1) to 1.04^n ms), so the middle of the bucket that holds a percentile is within
2.5% of the exact value, or 1 ms (exact below 25 ms, where a bucket holds one whole
millisecond). About 90 buckets cover 1 to 30 seconds.
"""

from __future__ import annotations

import math
from decimal import Decimal
from itertools import accumulate

#: Upper end of each bucket over its lower end.
RATIO = 1.04
#: How far a percentile read from the buckets may be from the exact one, in percent (or 1 ms).
PRECISION_PERCENT = Decimal("2.5")
_LOG_RATIO = math.log(RATIO)


def bucket_of(milliseconds: int) -> int:
    """The bucket of a latency: 0 for 0 ms, then one per 4% step."""
    if milliseconds < 1:
        return 0
    return 1 + int(math.log(milliseconds) / _LOG_RATIO)


def bucket_middle(bucket: int) -> int:
    """The millisecond in the middle of the whole milliseconds that fall in `bucket`."""
    return (_first_in(bucket) + _first_in(bucket + 1) - 1) // 2


def _first_in(bucket: int) -> int:
    """The smallest whole millisecond in `bucket` or above.

    The search starts just below the bucket's lower end, so rounding in `log` cannot skip it.
    """
    milliseconds = max(0, math.floor(RATIO ** (bucket - 1)) - 1)
    while bucket_of(milliseconds) < bucket:
        milliseconds += 1
    return milliseconds


def percentile(histogram: list[tuple[int, int]], percent: int) -> int | None:
    """Nearest-rank percentile from (bucket, count) pairs in bucket order, as a bucket middle."""
    total = sum(count for _bucket, count in histogram)
    if not total:
        return None
    rank = (percent * total + 99) // 100
    seen = accumulate(count for _bucket, count in histogram)
    return bucket_middle(
        next(bucket for (bucket, _n), up_to in zip(histogram, seen, strict=True) if up_to >= rank)
    )
