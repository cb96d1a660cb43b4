"""The checks run beside the updates in every bot process, and read the process's counters."""

import pytest
from asgiref.sync import sync_to_async

from alerts import monitor as alerts_monitor
from alerts.counters import LONGEST_WINDOW_MINUTES, CounterWindow, Totals, read_process_counters
from alerts.models import AlertRule
from assistant.metrics import ANSWER_SECONDS, ERRORS
from bot.ratelimit import RETRY_AFTER_ANSWERS
from conversations.models import Message
from tests.alerts.test_rules import STAFF_CHAT, rule, staff_texts
from tests.factories import MessageFactory
from tests.running_bot import ManualClock


@pytest.fixture
def quick_checks(bot_settings):
    bot_settings.ALERT_CHECK_SECONDS = 0.05
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    bot_settings.LANGUAGE_CODE = "en"


async def test_a_bot_process_checks_the_rules_and_tells_its_staff_chat(
    quick_checks, running_bots, fake_telegram
):
    await sync_to_async(rule)(AlertRule.Kind.UNDELIVERED, 1)
    await sync_to_async(MessageFactory)(
        role=Message.Role.ASSISTANT, delivery=Message.Delivery.UNDELIVERED
    )
    await fake_telegram.wait_for_async(lambda: staff_texts(fake_telegram), 10, "an alert")
    assert staff_texts(fake_telegram)[0].startswith("🔴 Replies not delivered")


async def test_a_check_that_fails_is_logged_and_the_next_one_runs(
    quick_checks, running_bots, monkeypatch, caplog, fake_telegram
):
    calls = []

    def failing(now, counters):
        calls.append(now)
        raise RuntimeError("the database is away")

    monkeypatch.setattr(alerts_monitor, "check_rules", failing)
    await fake_telegram.wait_for_async(lambda: len(calls) >= 2, 10, "two checks")
    assert "Could not check the alert rules: the database is away" in caplog.text


def test_the_process_counters_are_read_by_model():
    before = read_process_counters()
    ERRORS.labels("model-a", "APITimeoutError").inc(2)
    ANSWER_SECONDS.labels("model-a").observe(1.5)
    RETRY_AFTER_ANSWERS.labels("sendMessage").inc()
    grown = read_process_counters().minus(before)
    assert grown.errors_by_model["model-a"] == 2
    assert grown.answers_by_model["model-a"] == 1
    assert grown.retry_after == 1


def test_a_window_without_samples_saw_nothing_and_old_samples_are_dropped():
    clock = ManualClock()
    totals = [Totals(retry_after=1), Totals(retry_after=5)]
    window = CounterWindow(lambda: totals.pop(0), clock)
    assert window.change(minutes=5) == Totals()
    window.sample()
    clock.now += LONGEST_WINDOW_MINUTES * 60 + 1
    window.sample()
    assert window.change(minutes=LONGEST_WINDOW_MINUTES * 2).retry_after == 0  # one sample left
