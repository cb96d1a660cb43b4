"""Benchmark: the analytics admin page and its CSV at 100,000 leads and 1,000,000 messages.

    .venv/bin/python bench/analytics_page.py [--contacts 100000] [--messages 1000000] [--runs 5]

Seeds a throwaway database (SQLite, or PostgreSQL when DATABASE_URL names one) with
`bench/admin_scale.py`'s seeding (leads spread over a year with every status and four sources,
of three bots and the terminal chat, half the messages assistant replies), then fills in what
the analytics read: reply latency and tokens, `qualified_at` on qualified leads, one lead-card
extraction run per lead (a tenth of them by a model no longer in the registry) and a priced
model. Counts the rollup, runs ANALYZE, then for several filters times the page and the CSV
through Django's test client as a superuser, and the report read from the rollup beside the
same report computed directly from leads and messages (the tests' oracle, the baseline). After
one warm-up each, the four take turns for --runs rounds (see benchtiming.py): each number is
the median, wall clock and this process's CPU time; direct/rollup is the median over the
rounds of the ratio in the same round. Target: every request under 1 s, and both reports give
the same numbers; the exit status is 1 when one is missed.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from admin_scale import BATCH, page_call, seed
from benchsetup import analyze, run_at_scale
from benchtiming import in_turns

TARGET_MS = 1000
PRICED_MODEL = "gpt-4o-mini"


def enrich() -> None:
    """Latency and tokens on replies, qualification times, extraction runs, model prices."""
    from django.db import connection, transaction

    from assistant.models import LLMModel, LLMProvider
    from conversations.models import Contact, Message
    from discovery.models import ExtractionRun

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Message._meta.db_table} SET latency_ms = 300 + (id * 7919) % 4000, "  # noqa: S608
            "prompt_tokens = 800 + id % 400, completion_tokens = 150 + id % 100 "
            "WHERE role = 'assistant'"
        )
        cursor.execute(
            f"UPDATE {Contact._meta.db_table} SET qualified_at = created_at "  # noqa: S608
            "WHERE status IN ('qualified', 'in_work', 'won')"
        )
    provider = LLMProvider.objects.create(name="bench", base_url="http://127.0.0.1:9/v1")
    LLMModel.objects.create(
        provider=provider,
        model_id=PRICED_MODEL,
        display_name="GPT-4o mini",
        input_price_per_million="0.15",
        output_price_per_million="0.60",
    )
    _insert_extraction_runs(ExtractionRun, Contact)


def _insert_extraction_runs(run_model, contact_model) -> None:
    from django.db import connection, transaction

    columns = (
        "contact_id, model_name, prompt_tokens, completion_tokens, tokens_estimated, status, "
        "error, values_saved, created_at"
    )
    sql = (
        f"INSERT INTO {run_model._meta.db_table} ({columns}) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, 'ok', '', 1, %s)"
    )
    leads = contact_model.objects.order_by("pk").values_list("pk", "created_at")
    rows = [
        (
            pk,
            "retired-model" if pk % 10 == 0 else PRICED_MODEL,
            1200,
            80,
            False,
            connection.ops.adapt_datetimefield_value(created_at),
        )
        for pk, created_at in leads.iterator()
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def rebuild_rollup() -> None:
    """The rows went in by SQL, as a bulk load would: `rebuild_analytics` counts them."""
    from analytics.rollup import rollup_rebuild

    started = time.perf_counter()
    rebuilt = rollup_rebuild()
    print(
        f"rebuilt the rollup ({rebuilt.daily_rows:,} daily rows) "
        f"in {time.perf_counter() - started:.1f} s"
    )


def same_numbers(after, before) -> bool:
    """The rollup's report against the direct one: equal, latency within its stated precision."""
    if (after.funnel, after.conversations, after.costs) != (
        before.funnel,
        before.conversations,
        before.costs,
    ):
        return False
    if after.latency.precision_percent is None:
        return after.latency == before.latency
    return after.latency.replies == before.latency.replies and all(
        abs(read - exact) <= max(1, exact * after.latency.precision_percent / 100)
        for (_p, read), (_q, exact) in zip(
            after.latency.percentiles, before.latency.percentiles, strict=True
        )
    )


def run(contacts: int, messages: int, runs: int) -> bool:
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from analytics.forms import AnalyticsFilterForm
    from analytics.selectors import analytics_report
    from bots.models import Bot
    from tests.analytics import direct

    started = time.perf_counter()
    seed(contacts, messages)
    enrich()
    print(
        f"seeded {contacts:,} leads and {messages:,} messages "
        f"in {time.perf_counter() - started:.0f} s"
    )
    rebuild_rollup()
    analyze()

    client = Client()
    superuser = get_user_model().objects.create_superuser("bench", "b@example.com", "x")
    client.force_login(superuser)
    today = timezone.localdate()
    year = {"date_from": today - timedelta(days=365), "date_to": today}
    quarter = {"date_from": today - timedelta(days=90), "date_to": today}
    variants = {
        "last 30 days (default)": {},
        "90 days by week": {**quarter, "granularity": "week"},
        "a year by day": year,
        "a year by week": {**year, "granularity": "week"},
        "a year, source=ads": {**year, "source": "ads"},
        "a year, direct visits": {**year, "source": "(direct)"},
        "a year, one bot": {**year, "bot": Bot.objects.order_by("pk").first().pk},
    }
    print(f"\n{'':<24}{'page':>16}{'CSV':>16}{'report, rollup':>16}{'report, direct':>16}")
    print(f"{'request':<24}" + f"{'ms':>8}{'CPU ms':>8}" * 4 + f"{'direct/rollup':>15}{'same':>6}")
    slow, differ = [], []
    for name, params in variants.items():
        query = "&".join(f"{key}={value}" for key, value in params.items())
        filters = AnalyticsFilterForm(params, user=superuser).filters().as_kwargs()
        timings = in_turns(
            {
                "page": page_call(client, f"{reverse('analytics:page')}?{query}"),
                "CSV": page_call(client, f"{reverse('analytics:csv')}?{query}"),
                "rollup": lambda f=filters: analytics_report(**f),
                "direct": lambda f=filters: direct.analytics_report(**f),
            },
            runs,
        )
        same = same_numbers(analytics_report(**filters), direct.analytics_report(**filters))
        cells = "".join(f"{t.wall_ms:>8.0f}{t.cpu_ms:>8.0f}" for t in timings.values())
        ratio = timings["direct"].ratio(timings["rollup"])
        print(f"{name:<24}{cells}{ratio:>14.1f}x{'yes' if same else 'NO':>6}")
        slow += [
            f"{kind}, {name}" for kind in ("page", "CSV") if timings[kind].wall_ms >= TARGET_MS
        ]
        differ += [] if same else [name]
    print(f"\ntarget < {TARGET_MS} ms:", "met" if not slow else f"MISSED for {', '.join(slow)}")
    print("same numbers:", "yes" if not differ else f"NO for {', '.join(differ)}")
    return not slow and not differ


if __name__ == "__main__":
    run_at_scale(__doc__, run)
