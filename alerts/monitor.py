"""Checking the alert rules in every bot process, and telling staff.

Every process checks every `ALERT_CHECK_SECONDS`; an incident is opened (or closed) by one
conditional write, so whichever process makes it tells staff, once: in every staff chat of
the bots it serves, and by e-mail to `ALERT_EMAILS` when the rule says so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alerts.counters import CounterWindow
from alerts.models import AlertRule, Incident
from alerts.readings import READINGS
from bot.registry import BotApplications
from bot.staff_news import tell_staff_chats
from core.db import db_call
from core.pausing import repeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class News:
    """An incident this process opened or closed: what staff are told, and how."""

    incident_id: int
    text: str
    subject_line: str
    by_email: bool


def check_rules(now: dt.datetime, counters: CounterWindow) -> list[News]:
    """Open an incident for each finding not yet open and close those no longer found; the
    news of each this process opened or closed, in the site language."""
    news: list[News] = []
    with translation.override(settings.LANGUAGE_CODE):
        for rule in AlertRule.objects.all():
            findings = READINGS[rule.kind](rule, now, counters) if rule.is_active else []
            found = {finding.subject: finding for finding in findings}
            open_ones = {i.subject: i for i in rule.incidents.filter(closed_at__isnull=True)}
            for subject, finding in found.items():
                if subject not in open_ones:
                    news += _open(rule, finding.subject, finding.detail, now)
            for subject, incident in open_ones.items():
                if subject not in found:
                    news += _close(rule, incident, now, told=rule.is_active)
    return news


def _open(rule: AlertRule, subject: str, detail: str, now: dt.datetime) -> list[News]:
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                rule=rule, subject=subject, detail=detail[:500], opened_at=now
            )
    except IntegrityError:  # another process opened it just now, and tells staff
        return []
    logger.warning("Alert: %s: %s", rule, detail)
    text = f"🔴 {rule}: {detail}"
    return [News(incident.pk, text, _("Alert: %(rule)s") % {"rule": rule}, rule.notify_email)]


def _close(rule: AlertRule, incident: Incident, now: dt.datetime, *, told: bool) -> list[News]:
    closed = Incident.objects.filter(pk=incident.pk, closed_at__isnull=True).update(closed_at=now)
    if not (closed and told):
        return []
    logger.warning("Recovered: %s (%s)", rule, incident.detail)
    minutes = max(1, round((now - incident.opened_at).total_seconds() / 60))
    text = _("✅ Recovered after %(minutes)d min: %(rule)s (%(detail)s)") % {
        "minutes": minutes,
        "rule": rule,
        "detail": incident.detail,
    }
    subject_line = _("Recovered: %(rule)s") % {"rule": rule}
    return [News(incident.pk, text, subject_line, rule.notify_email)]


def _record_told(incident_id: int, told: str) -> None:
    incident = Incident.objects.get(pk=incident_id)
    incident.notified = "; ".join(filter(None, [incident.notified, told]))[:500]
    incident.save(update_fields=["notified"])


class AlertMonitor:
    """The checks of one process, for the bots it serves."""

    def __init__(self, bots: BotApplications, counters: CounterWindow | None = None, now=None):
        self.bots = bots
        self.counters = counters or CounterWindow()
        self.now = now or timezone.now

    async def run(self, every: float, stopping: asyncio.Event) -> None:
        """A check every `every` seconds until `stopping` is set, the first after one period
        (a process that has just started has no history of its own counters yet)."""
        self.counters.sample()
        await repeat(
            stopping,
            self.check,
            every=every,
            first_wait=every,
            failure="Could not check the alert rules: %s",
        )

    async def check(self) -> None:
        self.counters.sample()
        for news in await db_call(check_rules)(self.now(), self.counters):
            await db_call(_record_told)(news.incident_id, await self.tell(news))

    async def tell(self, news: News) -> str:
        """Tell the staff chats and, when asked, e-mail; what happened, for the incident."""
        outcomes = await tell_staff_chats(self.bots, news.text)
        reached = sum(1 for outcome in outcomes.values() if not outcome.error)
        told = [f"staff chats: {reached}/{len(outcomes)}"]
        if news.by_email and settings.ALERT_EMAILS:
            try:
                await asyncio.to_thread(
                    send_mail, news.subject_line, news.text, None, settings.ALERT_EMAILS
                )
                told.append("e-mail: sent")
            except Exception as error:
                logger.warning("Could not e-mail an alert: %s", error)
                told.append(f"e-mail: {type(error).__name__}")
        return ", ".join(told)


def start_checking(
    sender, *, bots: BotApplications, stopping: asyncio.Event, **_kwargs
) -> asyncio.Task:
    """`bot.signals.serving_started`: check the rules beside the updates until the process
    stops."""
    monitor = AlertMonitor(bots)
    return asyncio.create_task(monitor.run(settings.ALERT_CHECK_SECONDS, stopping), name="alerts")
