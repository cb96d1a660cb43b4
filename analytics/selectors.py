"""The numbers behind the analytics page: funnel, conversation length, latency and LLM cost.

They are read from the daily rollup (`analytics/models.py`, kept by `analytics/rollup.py`), so
a year costs a few hundred rows per table instead of every lead and message. Python arranges
the rows for display: adding up "leads per furthest stage" into stage totals and conversion
rates, the median from a histogram of sizes, pricing the per-model token sums.

Days are calendar days in `settings.TIME_ZONE`: a lead created at 23:30 UTC is counted on the
next day in Moscow, as staff there would expect.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from analytics import latency
from analytics.models import DailyConversations, DailyLatency, DailyLeads, DailyUsage
from analytics.stages import STAGES
from assistant.models import LLMModel
from conversations.models import Contact, Message

DAY = "day"
WEEK = "week"
GRANULARITIES = ((DAY, _("Day")), (WEEK, _("Week")))

PERCENTILES = (50, 90, 99)
#: Up to this many replies in the period, latency percentiles are read exactly from the
#: messages (a few queries on the `message_role_time` index); above, from daily buckets.
EXACT_LATENCY_REPLIES = 50_000
_PER_MILLION = Decimal(1_000_000)
_ONE_DECIMAL = Decimal("0.1")


# --- Periods and filters --------------------------------------------------------------------


def period_bounds(*, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """Aware datetimes [start, end) covering both days whole in the project's time zone."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def period_buckets(*, date_from: date, date_to: date, granularity: str) -> list[date]:
    """Every day (or Monday of every week) in the range, so empty periods still show."""
    step = timedelta(days=7 if granularity == WEEK else 1)
    first = date_from - timedelta(days=date_from.weekday()) if granularity == WEEK else date_from
    return [first + step * n for n in range((date_to - first) // step + 1)]


def _in_period(queryset: QuerySet, field: str, date_from: date, date_to: date) -> QuerySet:
    start, end = period_bounds(date_from=date_from, date_to=date_to)
    return queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})


def _of_source(queryset: QuerySet, path: str, source: str | None) -> QuerySet:
    """`source=None` keeps every lead; "" keeps leads who came without a deep link."""
    return queryset if source is None else queryset.filter(**{path: source})


def _daily(model, date_from: date, date_to: date, source: str | None) -> QuerySet:
    """Rollup rows of the days in the period (and of one source)."""
    return _of_source(model.objects.filter(day__range=(date_from, date_to)), "source", source)


def source_label(source: str) -> str:
    return source or str(_("(direct)"))


def known_sources() -> list[str]:
    """Distinct lead sources, for the filter (read from the source index)."""
    return list(Contact.objects.order_by("source").values_list("source", flat=True).distinct())


# --- Funnel ---------------------------------------------------------------------------------


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
    if not whole:
        return None
    return (Decimal(part * 100) / whole).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


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


def _reached(furthest: list[int]) -> list[int]:
    """Leads per stage from leads per furthest stage: reaching stage 4 means passing 1-3."""
    return [sum(furthest[level:]) for level in range(len(STAGES))]


def funnel(
    *, date_from: date, date_to: date, granularity: str = DAY, source: str | None = None
) -> Funnel:
    """The funnel of leads created in the period (a cohort), in total, per period, per source.

    The rollup counts leads per (day, source, furthest stage): at most a few thousand rows
    even for a year, which are added up per period and per source here.
    """
    rows = _daily(DailyLeads, date_from, date_to, source).exclude(leads=0)
    total = [0] * len(STAGES)
    per_bucket: dict[date, list[int]] = defaultdict(lambda: [0] * len(STAGES))
    per_source: dict[str, list[int]] = defaultdict(lambda: [0] * len(STAGES))
    for day, row_source, stage, leads in rows.values_list("day", "source", "stage", "leads"):
        bucket = day - timedelta(days=day.weekday()) if granularity == WEEK else day
        total[stage - 1] += leads
        per_bucket[bucket][stage - 1] += leads
        per_source[row_source][stage - 1] += leads
    buckets = period_buckets(date_from=date_from, date_to=date_to, granularity=granularity)
    by_source = sorted(
        ((key, _reached(counts)) for key, counts in per_source.items()),
        key=lambda item: (-item[1][0], item[0]),
    )
    return Funnel(
        total=_stages(_reached(total)),
        by_period=[FunnelRow(bucket, _stages(_reached(per_bucket[bucket]))) for bucket in buckets],
        by_source=[FunnelRow(source_label(key), _stages(counts)) for key, counts in by_source],
    )


# --- Conversations and latency --------------------------------------------------------------


@dataclass(frozen=True)
class ConversationStats:
    conversations: int
    average_messages: Decimal | None
    median_messages: Decimal | None


def conversation_stats(
    *, date_from: date, date_to: date, source: str | None = None
) -> ConversationStats:
    """Messages per conversation started in the period (every message of either side).

    The rollup keeps, per day, how many conversations hold each number of messages, so the
    count, the average and the median are exact for any period.
    """
    sizes = list(
        _daily(DailyConversations, date_from, date_to, source)
        .values_list("messages")
        .annotate(started=Sum("conversations"))
        .filter(started__gt=0)
        .order_by("messages")
    )
    count = sum(conversations for _size, conversations in sizes)
    if not count:
        return ConversationStats(0, None, None)
    messages = sum(size * conversations for size, conversations in sizes)
    middle = [_nth_size(sizes, (count - 1) // 2), _nth_size(sizes, count // 2)]
    return ConversationStats(
        conversations=count,
        average_messages=(Decimal(messages) / count).quantize(_ONE_DECIMAL, ROUND_HALF_UP),
        median_messages=(Decimal(sum(middle)) / 2).quantize(_ONE_DECIMAL, ROUND_HALF_UP),
    )


def _nth_size(sizes: list[tuple[int, int]], index: int) -> int:
    """The `index`-th smallest conversation size (from 0), from (size, conversations) rows."""
    seen = accumulate(conversations for _size, conversations in sizes)
    return next(size for (size, _n), up_to in zip(sizes, seen, strict=True) if up_to > index)


@dataclass(frozen=True)
class Latency:
    replies: int
    #: (percentile, milliseconds) for each of `PERCENTILES`; None when there are no replies.
    percentiles: list[tuple[int, int | None]]
    #: None when the percentiles are exact; else how far off they may be, in percent.
    precision_percent: Decimal | None = None


def reply_latency(*, date_from: date, date_to: date, source: str | None = None) -> Latency:
    """Nearest-rank percentiles of the assistant's reply latency in the period.

    The rollup's daily latency buckets give the number of replies at once. Up to
    `EXACT_LATENCY_REPLIES` the percentiles are then read exactly, each by one
    `ORDER BY latency_ms LIMIT 1 OFFSET k` query on the (role, created_at, latency_ms) index;
    above that, from the buckets (`analytics/latency.py`), and the page says how precise.
    """
    histogram = list(
        _daily(DailyLatency, date_from, date_to, source)
        .values_list("bucket")
        .annotate(stored=Sum("replies"))
        .filter(stored__gt=0)
        .order_by("bucket")
    )
    count = sum(replies for _bucket, replies in histogram)
    if not count:
        return Latency(0, [(p, None) for p in PERCENTILES])
    if count > EXACT_LATENCY_REPLIES:
        return Latency(
            replies=count,
            percentiles=[(p, latency.percentile(histogram, p)) for p in PERCENTILES],
            precision_percent=latency.PRECISION_PERCENT,
        )
    return exact_latency(date_from=date_from, date_to=date_to, source=source)


def exact_latency(*, date_from: date, date_to: date, source: str | None = None) -> Latency:
    """The percentiles read from the replies themselves."""
    replies = _of_source(
        _in_period(
            Message.objects.filter(role=Message.Role.ASSISTANT, latency_ms__isnull=False),
            "created_at",
            date_from,
            date_to,
        ),
        "contact__source",
        source,
    ).order_by()
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


# --- Tokens and cost ------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """`estimated_calls`: calls whose provider sent no token counts, so theirs are estimates."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: Decimal = Decimal(0)
    estimated_calls: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.calls + other.calls,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cost + other.cost,
            self.estimated_calls + other.estimated_calls,
        )


@dataclass(frozen=True)
class ModelCost:
    model_name: str
    #: False when the model is no longer in the registry: its price is unknown, cost shows 0.
    in_registry: bool
    replies: Usage
    extraction: Usage

    @property
    def total(self) -> Usage:
        return self.replies + self.extraction


@dataclass(frozen=True)
class CostReport:
    models: list[ModelCost]

    @property
    def replies(self) -> Usage:
        return sum((model.replies for model in self.models), Usage())

    @property
    def extraction(self) -> Usage:
        return sum((model.extraction for model in self.models), Usage())

    @property
    def total(self) -> Usage:
        return self.replies + self.extraction


def _token_sums(rows: QuerySet) -> dict[str, dict[str, dict[str, int]]]:
    """Calls and tokens per kind (reply, extraction) and model, from the rollup's rows."""
    sums = (
        rows.values_list("kind", "model_name")
        .annotate(
            made=Sum("calls"),
            prompt=Sum("prompt_tokens"),
            completion=Sum("completion_tokens"),
            estimated=Sum("estimated_calls"),
        )
        .filter(made__gt=0)
        .order_by()
    )
    by_kind: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for kind, model_name, calls, prompt_tokens, completion_tokens, estimated in sums:
        by_kind[kind][model_name] = {
            "calls": int(calls),
            "prompt_tokens": int(prompt_tokens),
            "completion_tokens": int(completion_tokens),
            "estimated_calls": int(estimated),
        }
    return by_kind


def _prices(model_ids) -> dict[str, tuple[Decimal, Decimal]]:
    """Input and output price per million tokens by model id.

    The same model id may be registered under two providers; the active, first-listed one
    is taken, as the reply pipeline would pick it.
    """
    rows = (
        LLMModel.objects.filter(model_id__in=model_ids)
        .order_by("-is_active", "position", "pk")
        .values_list("model_id", "input_price_per_million", "output_price_per_million")
    )
    prices: dict[str, tuple[Decimal, Decimal]] = {}
    for model_id, input_price, output_price in rows:
        prices.setdefault(model_id, (input_price, output_price))
    return prices


def _usage(sums: dict | None, price: tuple[Decimal, Decimal] | None) -> Usage:
    if sums is None:
        return Usage()
    input_price, output_price = price or (Decimal(0), Decimal(0))
    cost = (sums["prompt_tokens"] * input_price + sums["completion_tokens"] * output_price) / (
        _PER_MILLION
    )
    return Usage(
        sums["calls"],
        sums["prompt_tokens"],
        sums["completion_tokens"],
        cost,
        sums["estimated_calls"],
    )


def llm_costs(*, date_from: date, date_to: date, source: str | None = None) -> CostReport:
    """Tokens and cost per model in the period: the assistant's replies and lead-card extraction.

    Cost is tokens / 1,000,000 x the model's current price in the registry.
    """
    sums = _token_sums(_daily(DailyUsage, date_from, date_to, source))
    replies, extraction = sums[DailyUsage.Kind.REPLY], sums[DailyUsage.Kind.EXTRACTION]
    names = sorted(replies.keys() | extraction.keys())
    prices = _prices(names)
    models = [
        ModelCost(
            model_name=name,
            in_registry=name in prices,
            replies=_usage(replies.get(name), prices.get(name)),
            extraction=_usage(extraction.get(name), prices.get(name)),
        )
        for name in names
    ]
    models.sort(key=lambda model: (-model.total.cost, -model.total.tokens, model.model_name))
    return CostReport(models)


# --- The whole page -------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    funnel: Funnel
    conversations: ConversationStats
    latency: Latency
    costs: CostReport


def analytics_report(
    *, date_from: date, date_to: date, granularity: str = DAY, source: str | None = None
) -> Report:
    """Everything the analytics page and its CSV show, for one choice of filters."""
    period = {"date_from": date_from, "date_to": date_to, "source": source}
    return Report(
        funnel=funnel(**period, granularity=granularity),
        conversations=conversation_stats(**period),
        latency=reply_latency(**period),
        costs=llm_costs(**period),
    )
