"""Each alert rule raised against the fakes: staff told once in the staff chat and by e-mail,
and told again when it recovers."""

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.utils import timezone

from alerts import monitor as monitor_module
from alerts.counters import CounterWindow, Totals
from alerts.models import AlertRule, Incident
from alerts.monitor import AlertMonitor
from bot.models import InboundUpdate
from conversations.models import Message
from sync.models import SyncSource
from tests.factories import MessageFactory
from tests.integrations.test_admin import dead_delivery
from tests.running_bot import ManualClock

STAFF_CHAT = -100777
#: A Wednesday at noon in Moscow: the bots' default business hours (9 to 18, Monday to Friday).
WEDNESDAY_NOON = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


class Readings:
    """The process's counters as a test sets them."""

    def __init__(self):
        self.totals = Totals()

    def __call__(self):
        return self.totals


@pytest.fixture
def staff_chat(bot_settings):
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    bot_settings.LANGUAGE_CODE = "en"
    bot_settings.ALERT_EMAILS = ["ops@example.com"]
    return STAFF_CHAT


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def readings():
    return Readings()


class Moment:
    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


@pytest.fixture
def moment():
    return Moment(timezone.now())


@pytest.fixture
def monitor(staff_chat, running_bots, clock, readings, moment):
    return AlertMonitor(running_bots.bots, CounterWindow(readings, clock), now=moment)


def rule(kind, threshold, *, window=5, active=True, email=True):
    AlertRule.objects.update_or_create(
        kind=kind,
        defaults={
            "threshold": threshold,
            "window_minutes": window,
            "is_active": active,
            "notify_email": email,
        },
    )


def staff_texts(fake):
    return [message.visible_text for message in fake.sent_messages(STAFF_CHAT)]


async def told(fake, count):
    await fake.wait_for_async(lambda: len(staff_texts(fake)) >= count, 5, f"{count} alerts")
    return staff_texts(fake)


def replies(count, *, failed):
    for number in range(count):
        status = Message.Status.FAILED if number < failed else Message.Status.COMPLETE
        MessageFactory(role=Message.Role.ASSISTANT, model_name="fake-model", status=status)


async def test_the_llm_error_rate_is_told_once_and_its_recovery_too(monitor, fake_telegram, moment):
    await sync_to_async(rule)(AlertRule.Kind.LLM_ERROR_RATE, 20)
    await sync_to_async(replies)(5, failed=2)

    await monitor.check()
    await monitor.check()
    [alert] = await told(fake_telegram, 1)
    assert alert == (
        "🔴 LLM error rate: 40% of 5 LLM calls failed in the last 5 min (threshold 20%)."
    )
    [email] = mail.outbox
    assert (email.subject, email.to, email.body) == (
        "Alert: LLM error rate",
        ["ops@example.com"],
        alert,
    )

    moment.at += dt.timedelta(minutes=10)  # the failures left the window
    await monitor.check()
    recovered = (await told(fake_telegram, 2))[1]
    assert recovered.startswith("✅ Recovered after 10 min: LLM error rate (40% of 5")
    assert mail.outbox[1].subject == "Recovered: LLM error rate"
    incident = await sync_to_async(Incident.objects.get)()
    assert incident.closed_at == moment.at
    assert incident.notified == "staff chats: 1/1, e-mail: sent; staff chats: 1/1, e-mail: sent"


async def test_a_low_error_rate_or_too_few_calls_say_nothing(monitor, fake_telegram):
    await sync_to_async(rule)(AlertRule.Kind.LLM_ERROR_RATE, 20)
    await sync_to_async(replies)(4, failed=4)  # fewer calls than the rule needs
    await monitor.check()
    await sync_to_async(replies)(20, failed=0)  # 4 of 24: under 20%
    await monitor.check()
    assert staff_texts(fake_telegram) == []
    assert not await sync_to_async(Incident.objects.exists)()


async def test_a_model_failing_every_call_is_told_by_name(monitor, fake_telegram, clock, readings):
    await sync_to_async(rule)(AlertRule.Kind.MODEL_FAILING, 3)
    monitor.counters.sample()
    clock.now += 60
    readings.totals = Totals({"gpt-x": 4, "fake-model": 5}, {"fake-model": 7})
    await monitor.check()

    [alert] = await told(fake_telegram, 1)
    assert alert == (
        "🔴 A model failing every call: gpt-x: 4 calls failed and none answered in the last "
        "5 min."
    )

    clock.now += 60
    readings.totals = Totals({"gpt-x": 4, "fake-model": 5}, {"fake-model": 7, "gpt-x": 1})
    await monitor.check()
    assert (await told(fake_telegram, 2))[1].startswith("✅ Recovered")


async def test_updates_waiting_too_long(monitor, fake_telegram, moment):
    await sync_to_async(rule)(AlertRule.Kind.QUEUE_LAG, 60)
    waiting = await sync_to_async(InboundUpdate.objects.create)(
        bot_id=1, update_id=1, chat_id=1, payload="{}"
    )
    moment.at = waiting.received_at + dt.timedelta(seconds=90)
    await monitor.check()
    [alert] = await told(fake_telegram, 1)
    assert alert == (
        "🔴 Updates waiting too long: An update has waited 90 s to be handled (threshold 60 s)."
    )


async def test_a_burst_of_telegram_429s(monitor, fake_telegram, clock, readings):
    await sync_to_async(rule)(AlertRule.Kind.TELEGRAM_429, 20, window=5)
    monitor.counters.sample()
    clock.now += 600  # ten minutes of 429s, twenty in the last five
    readings.totals = Totals(retry_after=30)
    monitor.counters.sample()
    clock.now += 300
    readings.totals = Totals(retry_after=50)
    await monitor.check()
    [alert] = await told(fake_telegram, 1)
    assert alert == (
        "🔴 Telegram asks to slow down: Telegram asked to slow down 20 times in the last 5 min "
        "(threshold 20)."
    )


async def test_no_updates_during_business_hours_names_the_bot(
    monitor, fake_telegram, moment, telegram_bot
):
    await sync_to_async(rule)(AlertRule.Kind.NO_UPDATES, 60)
    moment.at = WEDNESDAY_NOON
    recent = await sync_to_async(InboundUpdate.objects.create)(
        bot_id=telegram_bot.telegram_id, update_id=1, chat_id=1, payload="{}", state="done"
    )
    await sync_to_async(InboundUpdate.objects.filter(pk=recent.pk).update)(
        received_at=WEDNESDAY_NOON - dt.timedelta(minutes=30)
    )
    await monitor.check()
    assert staff_texts(fake_telegram) == []

    moment.at = WEDNESDAY_NOON + dt.timedelta(minutes=45)
    await monitor.check()
    [alert] = await told(fake_telegram, 1)
    assert alert == (
        "🔴 No updates during business hours: Fake Bot: no updates for 60 min during "
        "business hours."
    )


async def test_no_updates_outside_business_hours_is_fine(monitor, fake_telegram, moment):
    await sync_to_async(rule)(AlertRule.Kind.NO_UPDATES, 60)
    moment.at = WEDNESDAY_NOON.replace(hour=17)  # 20:00 in Moscow
    await monitor.check()
    assert staff_texts(fake_telegram) == []


async def test_replies_not_delivered(monitor, fake_telegram):
    await sync_to_async(rule)(AlertRule.Kind.UNDELIVERED, 1, email=False)
    await sync_to_async(MessageFactory)(
        role=Message.Role.ASSISTANT, delivery=Message.Delivery.UNDELIVERED
    )
    await monitor.check()
    [alert] = await told(fake_telegram, 1)
    assert alert == (
        "🔴 Replies not delivered: 1 of the bot's messages were not delivered in the last 5 min."
    )
    assert mail.outbox == []


async def test_two_processes_tell_an_incident_once(
    monitor, running_bots, fake_telegram, clock, readings, moment
):
    await sync_to_async(rule)(AlertRule.Kind.UNDELIVERED, 1)
    await sync_to_async(MessageFactory)(
        role=Message.Role.ASSISTANT, delivery=Message.Delivery.UNDELIVERED
    )
    other = AlertMonitor(running_bots.bots, CounterWindow(readings, clock), now=moment)
    await monitor.check()
    await other.check()
    await told(fake_telegram, 1)
    assert len(staff_texts(fake_telegram)) == 1
    assert len(mail.outbox) == 1


async def test_a_rule_switched_off_closes_its_incident_without_a_word(monitor, fake_telegram):
    await sync_to_async(rule)(AlertRule.Kind.UNDELIVERED, 1)
    await sync_to_async(MessageFactory)(
        role=Message.Role.ASSISTANT, delivery=Message.Delivery.UNDELIVERED
    )
    await monitor.check()
    await told(fake_telegram, 1)
    await sync_to_async(rule)(AlertRule.Kind.UNDELIVERED, 1, active=False)
    await monitor.check()

    assert len(staff_texts(fake_telegram)) == 1
    assert await sync_to_async(Incident.objects.filter(closed_at__isnull=False).count)() == 1


async def test_an_email_that_fails_is_recorded_and_the_chat_still_told(
    monitor, fake_telegram, settings
):
    settings.EMAIL_BACKEND = "tests.alerts.test_rules.BrokenMail"
    await sync_to_async(rule)(AlertRule.Kind.UNDELIVERED, 1)
    await sync_to_async(MessageFactory)(
        role=Message.Role.ASSISTANT, delivery=Message.Delivery.UNDELIVERED
    )
    await monitor.check()
    await told(fake_telegram, 1)
    incident = await sync_to_async(Incident.objects.get)()
    assert incident.notified == "staff chats: 1/1, e-mail: ConnectionRefusedError"


class BrokenMail:
    """An e-mail backend whose server refuses connections."""

    def __init__(self, **_options):
        pass

    def send_messages(self, _messages):
        raise ConnectionRefusedError("the mail server refuses connections")


@pytest.mark.django_db
def test_an_incident_another_process_opened_first_is_not_told_again():
    rule(AlertRule.Kind.UNDELIVERED, 1)
    undelivered_rule = AlertRule.objects.get(kind=AlertRule.Kind.UNDELIVERED)
    now = timezone.now()
    Incident.objects.create(rule=undelivered_rule, detail="1 message", opened_at=now)
    assert monitor_module._open(undelivered_rule, "", "1 message", now) == []
    assert Incident.objects.count() == 1


async def test_a_failing_sync_source_is_told_until_it_syncs_again(monitor, fake_telegram):
    await sync_to_async(rule)(AlertRule.Kind.SYNC_FAILED, 1)
    drive = await sync_to_async(SyncSource.objects.create)(
        name="Drive", kind="prompts", location="/nowhere.yaml", last_error="cannot read the file"
    )
    await monitor.check()
    [alert] = await told(fake_telegram, 1)
    assert alert == "🔴 A sync source failing: Drive: cannot read the file"

    drive.last_error = ""
    await sync_to_async(drive.save)()
    await monitor.check()
    assert (await told(fake_telegram, 2))[1].startswith("✅ Recovered")


async def test_crm_deliveries_failed_for_good_are_told_per_integration(monitor, fake_telegram):
    await sync_to_async(rule)(AlertRule.Kind.CRM_DEAD, 1)
    delivery = await sync_to_async(dead_delivery)()
    await monitor.check()
    [alert] = await told(fake_telegram, 1)
    assert alert.startswith("🔴 CRM deliveries failed for good: ")
    assert alert.endswith(": 1 deliveries failed for good and wait to be sent again.")

    delivery.status = "delivered"
    await sync_to_async(delivery.save)()
    await monitor.check()
    assert (await told(fake_telegram, 2))[1].startswith("✅ Recovered")
