"""The numbers behind the analytics page: funnel, conversation length, latency and LLM cost.

They are read from the daily rollup (`analytics/models.py`, kept by `analytics/rollup/`), so
a year costs a few hundred rows per table instead of every lead and message. Python arranges
the rows for display: adding up "leads per furthest stage" into stage totals and conversion
rates, the median from a histogram of sizes, pricing the per-model token sums.

Modules: `periods` (days, filters, the rollup rows they select), `funnels`, `sizes`
(messages per conversation), `latencies`, `costs`, `handoffs` (read from the handoffs
themselves, which are few), `feedback` (the ratings of answers and the satisfaction survey,
likewise); this one puts the page together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from analytics.selectors.costs import CostReport, ModelCost, Usage, llm_costs
from analytics.selectors.feedback import FeedbackStats, Ratings, Scores, feedback_stats
from analytics.selectors.funnels import Funnel, FunnelRow, Stage, funnel
from analytics.selectors.handoffs import HandoffStats, handoff_stats
from analytics.selectors.latencies import Latency, exact_latency, reply_latency
from analytics.selectors.periods import (
    DAY,
    GRANULARITIES,
    WEEK,
    Bots,
    known_sources,
    period_bounds,
    period_buckets,
    source_label,
)
from analytics.selectors.sizes import ConversationStats, conversation_stats


@dataclass(frozen=True)
class Report:
    funnel: Funnel
    conversations: ConversationStats
    latency: Latency
    costs: CostReport
    handoffs: HandoffStats
    feedback: FeedbackStats


def analytics_report(
    *,
    date_from: date,
    date_to: date,
    granularity: str = DAY,
    source: str | None = None,
    bots: Bots = None,
) -> Report:
    """Everything the analytics page and its CSV show, for one choice of filters."""
    period = {"date_from": date_from, "date_to": date_to, "source": source, "bots": bots}
    return Report(
        funnel=funnel(**period, granularity=granularity),
        conversations=conversation_stats(**period),
        latency=reply_latency(**period),
        costs=llm_costs(**period),
        handoffs=handoff_stats(**period),
        feedback=feedback_stats(**period, granularity=granularity),
    )


__all__ = [
    "DAY",
    "GRANULARITIES",
    "WEEK",
    "Bots",
    "ConversationStats",
    "CostReport",
    "FeedbackStats",
    "Funnel",
    "FunnelRow",
    "HandoffStats",
    "Latency",
    "ModelCost",
    "Ratings",
    "Report",
    "Scores",
    "Stage",
    "Usage",
    "analytics_report",
    "conversation_stats",
    "exact_latency",
    "feedback_stats",
    "funnel",
    "handoff_stats",
    "known_sources",
    "llm_costs",
    "period_bounds",
    "period_buckets",
    "reply_latency",
    "source_label",
]
