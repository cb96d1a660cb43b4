"""Operators' share of the work: handoffs asked for in a period, how long people waited for
the first operator reply, and conversations resolved by the assistant or by people.

Read from the handoffs themselves (a handoff is rare next to messages: a period holds few)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, DurationField, ExpressionWrapper, F

from analytics.selectors.periods import Bots, in_period, of_bots, of_source
from conversations.models import Handoff

#: Percentiles of the wait for the first operator reply.
WAIT_PERCENTILES = (50, 90)


@dataclass(frozen=True)
class HandoffStats:
    handoffs: int
    #: (reason label, handoffs) for each reason, in the model's order.
    by_reason: list[tuple[str, int]]
    #: Handoffs an operator answered (the conversation was resolved by people).
    answered: int
    #: (percentile, minutes to the first operator reply) of the answered ones; None: none.
    first_reply_minutes: list[tuple[int, float | None]]

    def resolved_by_assistant(self, conversations: int) -> int:
        """Conversations started in the period that no operator had to answer."""
        return max(conversations - self.answered, 0)


def handoff_stats(
    *, date_from: date, date_to: date, source: str | None = None, bots: Bots = None
) -> HandoffStats:
    handoffs = in_period(Handoff.objects.all(), "requested_at", date_from, date_to)
    handoffs = of_bots(of_source(handoffs, "contact__source", source), "contact__bot", bots)
    counts = dict(handoffs.values_list("reason").annotate(count=Count("pk")).order_by())
    waits = sorted(
        handoffs.filter(first_reply_at__isnull=False)
        .annotate(wait=ExpressionWrapper(F("first_reply_at") - F("requested_at"), DurationField()))
        .values_list("wait", flat=True)
    )
    return HandoffStats(
        handoffs=sum(counts.values()),
        by_reason=[(str(label), counts.get(reason, 0)) for reason, label in Handoff.Reason.choices],
        answered=len(waits),
        first_reply_minutes=[(p, _minutes(_nearest_rank(waits, p))) for p in WAIT_PERCENTILES],
    )


def _nearest_rank(values: list, percentile: int):
    if not values:
        return None
    rank = max(1, -(-percentile * len(values) // 100))
    return values[rank - 1]


def _minutes(wait) -> float | None:
    return None if wait is None else round(wait.total_seconds() / 60, 1)
