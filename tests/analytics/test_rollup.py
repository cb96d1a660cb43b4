"""The rollup gives the numbers a direct computation gives, however the data got there."""

import random
from datetime import date, timedelta

import pytest

from analytics.models import (
    NO_BOT,
    CountedConversation,
    CountedLead,
    DailyConversations,
    DailyLatency,
    DailyLeads,
    DailyUsage,
)
from analytics.rollup import rollup_rebuild
from analytics.selectors import DAY, WEEK, analytics_report, exact_latency, latencies, reply_latency
from bots.models import Bot
from tests.analytics import direct
from tests.analytics.history import SOURCES, play

SEEDS = range(4)


def rollup_rows():
    """Every row of the rollup that counts something, as plain values."""
    state = {
        model.__name__: sorted(model.objects.values_list(named=False))
        for model in (CountedLead, CountedConversation)
    }
    daily = {}
    for model in (DailyLeads, DailyConversations, DailyUsage, DailyLatency):
        fields = [field.name for field in model._meta.concrete_fields if not field.primary_key]
        key_size = len(model._meta.constraints[0].fields)
        rows = model.objects.values_list(*fields)
        daily[model.__name__] = sorted(row for row in rows if any(row[key_size:]))
    return state | daily


def random_filters(rng: random.Random) -> dict:
    start = date(2025, 2, 25) + timedelta(days=rng.randint(0, 40))
    first, second = Bot.objects.order_by("pk").values_list("pk", flat=True)
    return {
        "date_from": start,
        "date_to": start + timedelta(days=rng.choice((0, 1, 6, 13, 45))),
        "granularity": rng.choice((DAY, WEEK)),
        "source": rng.choice((None, None, "", *SOURCES, "nobody")),
        "bots": rng.choice(
            [None, None, *map(frozenset, ({first}, {second}, {NO_BOT}, {first, NO_BOT}))]
        ),
    }


@pytest.mark.parametrize("seed", SEEDS)
def test_upkeep_leaves_the_rollup_a_rebuild_would_make(db, seed):
    play(seed)
    kept = rollup_rows()

    rollup_rebuild()

    assert rollup_rows() == kept
    assert kept["CountedLead"]


@pytest.mark.parametrize("seed", SEEDS)
def test_every_number_on_the_page_equals_a_direct_computation(db, seed):
    play(seed)
    rng = random.Random(seed)

    for _ in range(12):
        filters = random_filters(rng)
        assert analytics_report(**filters) == direct.analytics_report(**filters), filters


@pytest.mark.parametrize("seed", SEEDS)
def test_bucketed_latency_is_within_the_stated_precision(db, seed, monkeypatch):
    play(seed)
    monkeypatch.setattr(latencies, "EXACT_LATENCY_REPLIES", 0)
    rng = random.Random(seed)

    for _ in range(12):
        filters = random_filters(rng)
        del filters["granularity"]
        bucketed, exact = reply_latency(**filters), exact_latency(**filters)
        assert bucketed.replies == exact.replies
        for (_p, read), (_q, true) in zip(bucketed.percentiles, exact.percentiles, strict=True):
            if true is None:
                assert read is None
            else:
                assert abs(read - true) <= max(1, true * bucketed.precision_percent / 100)
