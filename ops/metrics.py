"""What the database says, read when Prometheus scrapes the web process.

The bot, the workers and the web process all write to one database, so its numbers are the
same whichever process is asked and however many run. Every read is an index range or a
partial index, so a scrape stays cheap however large the tables grow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.inbox import inbox_numbers
from bot.job_queue import queue_job_counts, uses_job_queue
from conversations.selectors import not_delivered_counts, replies_by_model
from integrations.selectors import delivery_numbers

PREFIX = "consult"


@dataclass(frozen=True)
class DatabaseNumbers(Collector):
    """A collector for one scrape: the inbox, the job queue, delivery, the model's replies and
    CRM delivery.

    Numbers about "recent" things cover the last `window`: gauges, since rows can be deleted
    (a counter must never go down).
    """

    window: dt.timedelta

    @classmethod
    def from_settings(cls) -> DatabaseNumbers:
        return cls(dt.timedelta(minutes=settings.METRICS_WINDOW_MINUTES))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        since = now - self.window
        yield gauge(
            "metrics_window_seconds",
            "The period the numbers about recent things cover.",
            self.window.total_seconds(),
        )
        yield from self._inbox(now, since)
        if uses_job_queue():
            yield labelled(
                "job_queue_jobs",
                "Jobs of the updates' queue waiting for a worker (todo) or running (doing).",
                ["status"],
                queue_job_counts(),
            )
        yield labelled(
            "messages_not_delivered",
            "The bot's recent messages that did not (undelivered) or maybe did not (uncertain) "
            "reach the person.",
            ["delivery"],
            not_delivered_counts(since=since),
        )
        yield from self._replies(since)
        yield from self._crm(now)

    @staticmethod
    def _inbox(now: dt.datetime, since: dt.datetime) -> Iterator[GaugeMetricFamily]:
        inbox = inbox_numbers(since=since)
        yield labelled(
            "inbox_received_updates",
            "Updates received recently, by their state now (queued, done, failed).",
            ["state"],
            inbox.received,
        )
        yield gauge("inbox_waiting_updates", "Updates waiting to be handled.", inbox.waiting)
        oldest = inbox.oldest_waiting_at
        yield gauge(
            "inbox_oldest_waiting_seconds",
            "How long the update that has waited longest has waited (0: none waits).",
            (now - oldest).total_seconds() if oldest else 0,
        )

    @staticmethod
    def _crm(now: dt.datetime) -> Iterator[GaugeMetricFamily]:
        crm = delivery_numbers()
        yield labelled(
            "crm_deliveries",
            "Lead events for CRMs not delivered: waiting (pending), retrying, or failed for "
            "good (dead).",
            ["status"],
            crm.by_status,
        )
        oldest = crm.oldest_open_at
        yield gauge(
            "crm_oldest_waiting_seconds",
            "How long the oldest lead event not yet delivered to a CRM has waited (0: none).",
            (now - oldest).total_seconds() if oldest else 0,
        )

    @staticmethod
    def _replies(since: dt.datetime) -> Iterator[GaugeMetricFamily]:
        labels = ["model", "status"]
        count = family("llm_replies", "The model's recent replies.", labels)
        average = family(
            "llm_reply_latency_average_seconds",
            "The average time to answer of the model's recent replies.",
            labels,
        )
        longest = family(
            "llm_reply_latency_max_seconds",
            "The longest time to answer of the model's recent replies.",
            labels,
        )
        tokens = family(
            "llm_reply_tokens",
            "The tokens (prompt, completion) of the model's recent replies.",
            [*labels, "kind"],
        )
        for replies in replies_by_model(since=since):
            key = [replies.model_name, replies.status]
            count.add_metric(key, replies.replies)
            average.add_metric(key, replies.average_latency_ms / 1000)
            longest.add_metric(key, replies.longest_latency_ms / 1000)
            tokens.add_metric([*key, "prompt"], replies.prompt_tokens)
            tokens.add_metric([*key, "completion"], replies.completion_tokens)
        yield from (count, average, longest, tokens)


def family(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=labels)


def gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


def labelled(name: str, documentation: str, labels: list[str], values: dict) -> GaugeMetricFamily:
    """One gauge per key of `values` (a key is the label's value)."""
    metric = family(name, documentation, labels)
    for key, value in values.items():
        metric.add_metric([key], value)
    return metric
