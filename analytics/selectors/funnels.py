"""The funnel: leads created in a period by the furthest stage they reached."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from analytics.models import DailyLeads
from analytics.selectors.periods import (
    DAY,
    WEEK,
    Bots,
    daily,
    one_decimal,
    period_buckets,
    source_label,
)
from analytics.stages import STAGES

#: Leads per furthest stage of a period without leads.
_NONE = (0,) * len(STAGES)


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int
    #: Percent of the previous stage (None for the first stage or when the previous is 0).
    from_previous: Decimal | None
    #: Percent of the leads who started (None for the first stage or when nobody started).
    from_start: Decimal | None


@dataclass(frozen=True)
class FunnelRow:
    #: A `date` (the first day of the period) or a source label.
    key: date | str
    stages: list[Stage]

    @property
    def counts(self) -> list[int]:
        return [stage.count for stage in self.stages]


@dataclass(frozen=True)
class Funnel:
    total: list[Stage]
    by_period: list[FunnelRow]
    by_source: list[FunnelRow]


def _percent(part: int, whole: int) -> Decimal | None:
    return one_decimal(Decimal(part * 100) / whole) if whole else None


def _stages(counts: list[int]) -> list[Stage]:
    return [
        Stage(
            key=key,
            label=str(label),
            count=count,
            from_previous=_percent(count, counts[index - 1]) if index else None,
            from_start=_percent(count, counts[0]) if index else None,
        )
        for index, ((key, label), count) in enumerate(zip(STAGES, counts, strict=True))
    ]


def _reached(furthest: Sequence[int]) -> list[int]:
    """Leads per stage from leads per furthest stage: reaching stage 4 means passing 1-3."""
    return [sum(furthest[level:]) for level in range(len(STAGES))]


def funnel(
    *,
    date_from: date,
    date_to: date,
    granularity: str = DAY,
    source: str | None = None,
    bots: Bots = None,
) -> Funnel:
    """The funnel of leads created in the period (a cohort), in total, per period, per source.

    The rollup counts leads per (day, bot, source, furthest stage): at most a few thousand
    rows even for a year, which are added up per period and per source here.
    """
    rows = daily(DailyLeads, date_from, date_to, source, bots).exclude(leads=0)
    total = [0] * len(STAGES)
    per_bucket: dict[date, list[int]] = defaultdict(lambda: [0] * len(STAGES))
    per_source: dict[str, list[int]] = defaultdict(lambda: [0] * len(STAGES))
    for day, row_source, stage, leads in rows.values_list("day", "source", "stage", "leads"):
        bucket = day - timedelta(days=day.weekday()) if granularity == WEEK else day
        total[stage - 1] += leads
        per_bucket[bucket][stage - 1] += leads
        per_source[row_source][stage - 1] += leads
    buckets = period_buckets(date_from=date_from, date_to=date_to, granularity=granularity)
    return funnel_of(total=total, per_bucket=per_bucket, per_source=per_source, buckets=buckets)


def funnel_of(
    *,
    total: list[int],
    per_bucket: dict[date, list[int]],
    per_source: dict[str, list[int]],
    buckets: list[date],
) -> Funnel:
    """The funnel from leads per furthest stage; sources with the most leads first."""
    by_source = sorted(
        ((key, _reached(counts)) for key, counts in per_source.items()),
        key=lambda item: (-item[1][0], item[0]),
    )
    return Funnel(
        total=_stages(_reached(total)),
        by_period=[
            FunnelRow(bucket, _stages(_reached(per_bucket.get(bucket, _NONE))))
            for bucket in buckets
        ],
        by_source=[FunnelRow(source_label(key), _stages(counts)) for key, counts in by_source],
    )
