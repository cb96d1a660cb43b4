"""Periods and filters: the days a report covers and the rollup rows it reads for them.

Days are calendar days in `settings.TIME_ZONE`: a lead created at 23:30 UTC is counted on the
next day in Moscow, as staff there would expect.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Model, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from analytics.models import NO_BOT
from conversations.models import Contact

DAY = "day"
WEEK = "week"
GRANULARITIES = ((DAY, _("Day")), (WEEK, _("Week")))

_ONE_DECIMAL = Decimal("0.1")

#: Whose leads a report counts: None for every bot's, else the ids of the bots (`NO_BOT` for
#: leads of no bot, the terminal chat's).
Bots = frozenset[int] | None


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


def in_period(queryset: QuerySet, field: str, date_from: date, date_to: date) -> QuerySet:
    start, end = period_bounds(date_from=date_from, date_to=date_to)
    return queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})


def of_source(queryset: QuerySet, path: str, source: str | None) -> QuerySet:
    """`source=None` keeps every lead; "" keeps leads who came without a deep link."""
    return queryset if source is None else queryset.filter(**{path: source})


def of_bots(queryset: QuerySet, path: str, bots: Bots) -> QuerySet:
    """The rows of leads of `bots`, for rows that reach their lead's bot by `path`."""
    if bots is None:
        return queryset
    condition = Q(**{f"{path}__in": bots - {NO_BOT}})
    if NO_BOT in bots:
        condition |= Q(**{f"{path}__isnull": True})
    return queryset.filter(condition)


def daily(
    model: type[Model], date_from: date, date_to: date, source: str | None, bots: Bots = None
) -> QuerySet:
    """Rollup rows of the days in the period (and of one source, and of some bots)."""
    rows = of_source(model.objects.filter(day__range=(date_from, date_to)), "source", source)
    return rows if bots is None else rows.filter(bot_id__in=bots)


def daily_histogram(
    model: type[Model],
    key: str,
    count: str,
    *,
    date_from: date,
    date_to: date,
    source: str | None,
    bots: Bots = None,
) -> list[tuple[int, int]]:
    """(key, the period's sum of `count`) for every key counted in the period, in key order.

    The days' rows added up: conversations per size, replies per latency bucket.
    """
    return list(
        daily(model, date_from, date_to, source, bots)
        .values_list(key)
        .annotate(total=Sum(count))
        .filter(total__gt=0)
        .order_by(key)
    )


def one_decimal(number: Decimal) -> Decimal:
    """How the page shows averages and rates: one decimal, halves rounded up."""
    return number.quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def source_label(source: str) -> str:
    return source or str(_("(direct)"))


def known_sources(*, bots: Bots = None) -> list[str]:
    """Distinct sources of the leads of `bots`, for the filter (for every bot's leads, read from
    the source index)."""
    leads = of_bots(Contact.objects.all(), "bot", bots)
    return list(leads.order_by("source").values_list("source", flat=True).distinct())
