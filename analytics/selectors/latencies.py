"""How long the assistant's replies took: nearest-rank percentiles over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from analytics import latency
from analytics.models import DailyLatency
from analytics.selectors.periods import Bots, daily_histogram, in_period, of_bots, of_source
from conversations.models import Message

PERCENTILES = (50, 90, 99)
#: Up to this many replies in the period, latency percentiles are read exactly from the
#: messages (a few queries on the `message_role_time` index); above, from daily buckets.
EXACT_LATENCY_REPLIES = 50_000


@dataclass(frozen=True)
class Latency:
    replies: int
    #: (percentile, milliseconds) for each of `PERCENTILES`; None when there are no replies.
    percentiles: list[tuple[int, int | None]]
    #: None when the percentiles are exact; else how far off they may be, in percent.
    precision_percent: Decimal | None = None


def reply_latency(
    *, date_from: date, date_to: date, source: str | None = None, bots: Bots = None
) -> Latency:
    """Nearest-rank percentiles of the assistant's reply latency in the period.

    The rollup's daily latency buckets give the number of replies at once. Up to
    `EXACT_LATENCY_REPLIES` the percentiles are then read exactly, each by one
    `ORDER BY latency_ms LIMIT 1 OFFSET k` query on the (role, created_at, latency_ms) index;
    above that, from the buckets (`analytics/latency.py`), and the page says how precise.
    """
    period = {"date_from": date_from, "date_to": date_to, "source": source, "bots": bots}
    histogram = daily_histogram(DailyLatency, "bucket", "replies", **period)
    count = sum(replies for _bucket, replies in histogram)
    if not count:
        return Latency(0, [(p, None) for p in PERCENTILES])
    if count > EXACT_LATENCY_REPLIES:
        return Latency(
            replies=count,
            percentiles=[(p, latency.percentile(histogram, p)) for p in PERCENTILES],
            precision_percent=latency.PRECISION_PERCENT,
        )
    return exact_latency(**period)


def exact_latency(
    *, date_from: date, date_to: date, source: str | None = None, bots: Bots = None
) -> Latency:
    """The percentiles read from the replies themselves."""
    replies = in_period(
        Message.objects.filter(role=Message.Role.ASSISTANT, latency_ms__isnull=False),
        "created_at",
        date_from,
        date_to,
    )
    replies = of_bots(of_source(replies, "contact__source", source), "contact__bot", bots)
    replies = replies.order_by()
    count = replies.count()
    if not count:
        return Latency(0, [(p, None) for p in PERCENTILES])
    return Latency(
        replies=count,
        percentiles=[
            (p, _nth_latency(replies, (p * count + 99) // 100 - 1, count)) for p in PERCENTILES
        ],
    )


def _nth_latency(replies: QuerySet, index: int, count: int) -> int:
    """The `index`-th smallest latency, counted from whichever end is nearer.

    The database keeps only OFFSET + 1 rows while sorting, so p99 read from the top
    (OFFSET n/100 instead of 99n/100) costs a fraction of the same value read from the bottom.
    """
    from_top = count - 1 - index
    if from_top < index:
        return replies.order_by("-latency_ms").values_list("latency_ms", flat=True)[from_top]
    return replies.order_by("latency_ms").values_list("latency_ms", flat=True)[index]
