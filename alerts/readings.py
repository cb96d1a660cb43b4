"""What each alert rule watches, read when the rules are checked: findings over the threshold,
each with the subject it is about and what was seen, in words for staff.

The database holds what every process did (replies, extraction runs, the inbox, deliveries);
what only a process knows (its LLM calls that failed before a fallback answered, Telegram's
429s) comes from its own counters (`counters.CounterWindow`), so each process watches its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Max
from django.utils.translation import gettext as _

from alerts.counters import CounterWindow
from alerts.models import AlertRule
from bot.inbox import inbox_oldest_waiting
from bot.models import InboundUpdate
from bots.selectors import active_bots
from conversations.models import Message
from conversations.selectors import not_delivered_counts
from discovery.models import ExtractionRun
from integrations.models import Delivery
from sync.models import SyncSource

#: Fewer LLM calls than this in the window say nothing about an error rate.
MIN_CALLS = 5


@dataclass(frozen=True)
class Finding:
    subject: str
    detail: str


Reading = Callable[[AlertRule, dt.datetime, CounterWindow], list[Finding]]


def _since(rule: AlertRule, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=rule.window_minutes)


def llm_error_rate(rule: AlertRule, now: dt.datetime, _counters: CounterWindow) -> list[Finding]:
    """Answers that failed or were cut short, and lead-card readings that failed, among all."""
    since = _since(rule, now)
    replies = Message.objects.filter(role=Message.Role.ASSISTANT, created_at__gte=since)
    replies = replies.exclude(model_name="")
    runs = ExtractionRun.objects.filter(created_at__gte=since)
    total = replies.count() + runs.count()
    failed = (
        replies.exclude(status=Message.Status.COMPLETE).count()
        + runs.filter(status=ExtractionRun.Status.FAILED).count()
    )
    if total < MIN_CALLS or 100 * failed / total < rule.threshold:
        return []
    detail = _(
        "%(percent).0f%% of %(total)d LLM calls failed in the last %(minutes)d min "
        "(threshold %(threshold)g%%)."
    ) % {
        "percent": 100 * failed / total,
        "total": total,
        "minutes": rule.window_minutes,
        "threshold": rule.threshold,
    }
    return [Finding("", detail)]


def model_failing(rule: AlertRule, now: dt.datetime, counters: CounterWindow) -> list[Finding]:
    """A model whose calls from this process all failed (retries included), at least
    `threshold` of them: its provider is down or refuses the key, even if a fallback answered."""
    change = counters.change(minutes=rule.window_minutes)
    return [
        Finding(
            model,
            _("%(model)s: %(count)d calls failed and none answered in the last %(minutes)d min.")
            % {"model": model, "count": errors, "minutes": rule.window_minutes},
        )
        for model, errors in sorted(change.errors_by_model.items())
        if errors >= rule.threshold and not change.answers_by_model.get(model)
    ]


def queue_lag(rule: AlertRule, now: dt.datetime, _counters: CounterWindow) -> list[Finding]:
    oldest = inbox_oldest_waiting()
    waited = (now - oldest).total_seconds() if oldest else 0
    if waited < rule.threshold:
        return []
    detail = _("An update has waited %(seconds).0f s to be handled (threshold %(threshold)g s).")
    return [Finding("", detail % {"seconds": waited, "threshold": rule.threshold})]


def telegram_429(rule: AlertRule, now: dt.datetime, counters: CounterWindow) -> list[Finding]:
    answers = counters.change(minutes=rule.window_minutes).retry_after
    if answers < rule.threshold:
        return []
    detail = _(
        "Telegram asked to slow down %(count)d times in the last %(minutes)d min "
        "(threshold %(threshold)g)."
    )
    return [
        Finding(
            "",
            detail
            % {"count": answers, "minutes": rule.window_minutes, "threshold": rule.threshold},
        )
    ]


def no_updates(rule: AlertRule, now: dt.datetime, _counters: CounterWindow) -> list[Finding]:
    """Bots open for the whole period (their business hours) without a single update in it."""
    quiet_since = now - dt.timedelta(minutes=rule.threshold)
    findings = []
    for bot in active_bots():
        if not (bot.is_open(now) and bot.is_open(quiet_since)):
            continue
        last = InboundUpdate.objects.filter(bot_id=bot.telegram_id).aggregate(
            last=Max("received_at")
        )["last"]
        if last is None or last < quiet_since:
            detail = _("%(bot)s: no updates for %(minutes)g min during business hours.")
            findings.append(
                Finding(str(bot.id), detail % {"bot": bot.name, "minutes": rule.threshold})
            )
    return findings


def undelivered(rule: AlertRule, now: dt.datetime, _counters: CounterWindow) -> list[Finding]:
    count = not_delivered_counts(since=_since(rule, now))[Message.Delivery.UNDELIVERED]
    if count < rule.threshold:
        return []
    detail = _("%(count)d of the bot's messages were not delivered in the last %(minutes)d min.")
    return [Finding("", detail % {"count": count, "minutes": rule.window_minutes})]


def sync_failed(rule: AlertRule, now: dt.datetime, _counters: CounterWindow) -> list[Finding]:
    """Active sources whose last sync failed (the last good version is in use meanwhile)."""
    failing = SyncSource.objects.filter(is_active=True).exclude(last_error="").order_by("pk")
    return [
        Finding(
            str(source.pk),
            _("%(source)s: %(error)s") % {"source": source.name, "error": source.last_error[:300]},
        )
        for source in failing
    ]


def crm_dead(rule: AlertRule, now: dt.datetime, _counters: CounterWindow) -> list[Finding]:
    """Per integration: deliveries that failed for good (dead letter) and wait for staff to
    send them again; the incident clears when fewer than `threshold` are left."""
    dead = (
        Delivery.objects.filter(status=Delivery.Status.DEAD)
        .values_list("integration_id", "integration__name")
        .annotate(count=Count("pk"))
        .order_by("integration_id")
    )
    detail = _("%(integration)s: %(count)d deliveries failed for good and wait to be sent again.")
    return [
        Finding(str(pk), detail % {"integration": name, "count": count})
        for pk, name, count in dead
        if count >= rule.threshold
    ]


READINGS: dict[str, Reading] = {
    AlertRule.Kind.LLM_ERROR_RATE: llm_error_rate,
    AlertRule.Kind.MODEL_FAILING: model_failing,
    AlertRule.Kind.QUEUE_LAG: queue_lag,
    AlertRule.Kind.TELEGRAM_429: telegram_429,
    AlertRule.Kind.NO_UPDATES: no_updates,
    AlertRule.Kind.UNDELIVERED: undelivered,
    AlertRule.Kind.SYNC_FAILED: sync_failed,
    AlertRule.Kind.CRM_DEAD: crm_dead,
}
