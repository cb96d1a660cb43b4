"""The analytics summary: the funnel and the main numbers of a period, in all and per bot."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from analytics.models import NO_BOT
from analytics.selectors import conversation_stats, funnel, handoff_stats, llm_costs
from api.auth import token
from api.schemas import ERRORS, Error, IsoDate
from api.scopes import Scope
from bots.models import Bot

router = Router(tags=["analytics"])

#: The longest period one request may ask for.
MAX_DAYS = 366


class StageOut(Schema):
    key: str
    label: str
    count: int
    from_start: Decimal | None = Field(description="Percent of the leads who started.")


class BotFunnel(Schema):
    bot: int | None = Field(description="null: leads of no bot (the terminal chat).")
    name: str
    funnel: list[StageOut]


class Summary(Schema):
    date_from: date
    date_to: date
    funnel: list[StageOut]
    conversations: int
    average_messages: Decimal | None
    median_messages: Decimal | None
    handoffs: int
    handoffs_answered: int
    llm_calls: int
    llm_tokens: int
    llm_cost: Decimal
    by_bot: list[BotFunnel]


def _stages(bots: frozenset[int] | None, date_from: date, date_to: date) -> list[dict]:
    total = funnel(date_from=date_from, date_to=date_to, bots=bots).total
    return [
        {"key": s.key, "label": s.label, "count": s.count, "from_start": s.from_start}
        for s in total
    ]


@router.get(
    "/analytics/summary",
    response={200: Summary, **ERRORS, 422: Error},
    **token(Scope.ANALYTICS_READ),
)
def summary(request, date_from: IsoDate | None = None, date_to: IsoDate | None = None):
    """Leads created in the period by the furthest funnel stage they reached, conversations,
    handoffs and LLM use (days in the site's time zone; by default the last 30 days), from
    the same numbers as the admin's analytics page. Scope `analytics:read`."""
    date_to = date_to or timezone.localdate()
    date_from = date_from or date_to - timedelta(days=29)
    if not timedelta(0) <= date_to - date_from < timedelta(days=MAX_DAYS):
        raise HttpError(422, _("The period runs from date_from to date_to, at most a year."))
    reach = request.auth.bot_ids
    bots = None if reach is None else reach | {NO_BOT}
    period = {"date_from": date_from, "date_to": date_to, "bots": bots}
    sizes = conversation_stats(**period)
    handoffs = handoff_stats(**period)
    usage = llm_costs(**period).total
    listed = Bot.objects.order_by("name", "pk")
    if reach is not None:
        listed = listed.filter(pk__in=reach)
    rows = [*((bot.pk, bot.name, bot.pk) for bot in listed), (None, _("no bot"), NO_BOT)]
    by_bot = [
        {"bot": bot, "name": name, "funnel": _stages(frozenset({key}), date_from, date_to)}
        for bot, name, key in rows
    ]
    return {
        "date_from": date_from,
        "date_to": date_to,
        "funnel": _stages(bots, date_from, date_to),
        "conversations": sizes.conversations,
        "average_messages": sizes.average_messages,
        "median_messages": sizes.median_messages,
        "handoffs": handoffs.handoffs,
        "handoffs_answered": handoffs.answered,
        "llm_calls": usage.calls,
        "llm_tokens": usage.tokens,
        "llm_cost": usage.cost,
        "by_bot": by_bot,
    }
