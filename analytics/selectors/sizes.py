"""How long conversations are: messages per conversation started in a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import accumulate

from analytics.models import DailyConversations
from analytics.selectors.periods import Bots, daily_histogram, one_decimal


@dataclass(frozen=True)
class ConversationStats:
    conversations: int
    average_messages: Decimal | None
    median_messages: Decimal | None


def conversation_stats(
    *, date_from: date, date_to: date, source: str | None = None, bots: Bots = None
) -> ConversationStats:
    """Messages per conversation started in the period (every message of either side).

    The rollup keeps, per day, how many conversations hold each number of messages, so the
    count, the average and the median are exact for any period.
    """
    sizes = daily_histogram(
        DailyConversations,
        "messages",
        "conversations",
        date_from=date_from,
        date_to=date_to,
        source=source,
        bots=bots,
    )
    count = sum(conversations for _size, conversations in sizes)
    if not count:
        return ConversationStats(0, None, None)
    messages = sum(size * conversations for size, conversations in sizes)
    middle = [_nth_size(sizes, (count - 1) // 2), _nth_size(sizes, count // 2)]
    return ConversationStats(
        conversations=count,
        average_messages=one_decimal(Decimal(messages) / count),
        median_messages=one_decimal(Decimal(sum(middle)) / 2),
    )


def _nth_size(sizes: list[tuple[int, int]], index: int) -> int:
    """The `index`-th smallest conversation size (from 0), from (size, conversations) rows."""
    seen = accumulate(conversations for _size, conversations in sizes)
    return next(size for (size, _n), up_to in zip(sizes, seen, strict=True) if up_to > index)
