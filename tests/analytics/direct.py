"""The page's numbers computed straight from leads, conversations, messages and runs.

These are the selectors as they were before the rollup: the oracle the rollup is checked
against (and the baseline `bench/analytics_page.py` times). Latency is left out: the exact
path of `reply_latency` still reads the messages (`selectors.exact_latency`).
"""

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, DateField, Q, Sum
from django.db.models.functions import Coalesce, Trunc

from analytics import selectors
from analytics.models import NO_BOT
from analytics.selectors import (
    ConversationStats,
    CostReport,
    Funnel,
    Report,
)
from analytics.selectors.costs import priced
from analytics.selectors.funnels import funnel_of
from analytics.stages import STAGES, furthest_stage
from conversations.models import Contact, Conversation, Message
from discovery.models import ExtractionRun

ONE_DECIMAL = Decimal("0.1")


def _period(queryset, field, date_from, date_to, lead_path, source, bots):
    """Rows of the period, of leads of `source` and `bots`; `lead_path` leads to the lead."""
    start, end = selectors.period_bounds(date_from=date_from, date_to=date_to)
    queryset = queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})
    if source is not None:
        queryset = queryset.filter(**{f"{lead_path}source": source})
    if bots is not None:
        of_none = Q(**{f"{lead_path}bot__isnull": True}) if NO_BOT in bots else Q(pk__in=[])
        queryset = queryset.filter(Q(**{f"{lead_path}bot__in": bots}) | of_none)
    return queryset


def funnel(
    *, date_from: date, date_to: date, granularity: str, source: str | None, bots=None
) -> Funnel:
    contacts = _period(Contact.objects.all(), "created_at", date_from, date_to, "", source, bots)
    rows = (
        contacts.annotate(
            bucket=Trunc(
                "created_at",
                granularity,
                output_field=DateField(),
                tzinfo=ZoneInfo(settings.TIME_ZONE),
            ),
            stage=furthest_stage(),
        )
        .values("bucket", "source", "stage")
        .annotate(leads=Count("pk"))
        .order_by()
    )
    total = [0] * len(STAGES)
    per_bucket = defaultdict(lambda: [0] * len(STAGES))
    per_source = defaultdict(lambda: [0] * len(STAGES))
    for row in rows:
        stage, leads = row["stage"] - 1, row["leads"]
        total[stage] += leads
        per_bucket[row["bucket"]][stage] += leads
        per_source[row["source"]][stage] += leads
    buckets = selectors.period_buckets(
        date_from=date_from, date_to=date_to, granularity=granularity
    )
    return funnel_of(total=total, per_bucket=per_bucket, per_source=per_source, buckets=buckets)


def conversation_stats(*, date_from: date, date_to: date, source: str | None, bots=None):
    conversations = _period(
        Conversation.objects.all(), "started_at", date_from, date_to, "contact__", source, bots
    )
    sized = conversations.annotate(size=Count("messages")).order_by()
    summary = sized.aggregate(conversations=Count("pk"), average=Avg("size"))
    count = summary["conversations"]
    if not count:
        return ConversationStats(0, None, None)
    middle = list(
        sized.order_by("size").values_list("size", flat=True)[(count - 1) // 2 : count // 2 + 1]
    )
    return ConversationStats(
        conversations=count,
        average_messages=Decimal(str(summary["average"])).quantize(ONE_DECIMAL, ROUND_HALF_UP),
        median_messages=(Decimal(sum(middle)) / len(middle)).quantize(ONE_DECIMAL, ROUND_HALF_UP),
    )


def _token_sums(queryset) -> dict[str, dict]:
    rows = (
        queryset.exclude(model_name="")
        .values("model_name")
        .annotate(
            calls=Count("pk"),
            prompt_tokens=Coalesce(Sum("prompt_tokens"), 0),
            completion_tokens=Coalesce(Sum("completion_tokens"), 0),
            estimated_calls=Count("pk", filter=Q(tokens_estimated=True)),
        )
        .order_by()
    )
    return {row.pop("model_name"): row for row in rows}


def llm_costs(*, date_from: date, date_to: date, source: str | None, bots=None) -> CostReport:
    replies = _token_sums(
        _period(
            Message.objects.filter(role=Message.Role.ASSISTANT),
            "created_at",
            date_from,
            date_to,
            "contact__",
            source,
            bots,
        )
    )
    extraction = _token_sums(
        _period(
            ExtractionRun.objects.all(), "created_at", date_from, date_to, "contact__", source, bots
        )
    )
    return priced(replies=replies, extraction=extraction)


def analytics_report(
    *, date_from: date, date_to: date, granularity: str = selectors.DAY, source=None, bots=None
) -> Report:
    period = {"date_from": date_from, "date_to": date_to, "source": source, "bots": bots}
    return Report(
        funnel=funnel(**period, granularity=granularity),
        conversations=conversation_stats(**period),
        latency=selectors.exact_latency(**period),
        costs=llm_costs(**period),
        handoffs=selectors.handoff_stats(**period),  # read from the handoffs on the page too
        feedback=selectors.feedback_stats(**period, granularity=granularity),  # likewise
    )
