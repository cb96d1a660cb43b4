"""Messages per conversation and reply latency percentiles, on known numbers."""

from decimal import Decimal

import pytest

from analytics.selectors import conversation_stats, reply_latency
from conversations.models import Message
from tests.analytics.conftest import PERIOD
from tests.analytics.seed import conversation, lead, message, moscow


def talk_with(size, day="2025-03-04", source=""):
    talk = conversation(lead(moscow(day), source=source))
    for number in range(size):
        role = Message.Role.USER if number % 2 == 0 else Message.Role.ASSISTANT
        message(talk, role=role)
    return talk


def test_average_and_median_messages_per_conversation(db):
    for size in (1, 2, 4, 9):
        talk_with(size)

    stats = conversation_stats(**PERIOD)

    assert stats.conversations == 4
    assert stats.average_messages == Decimal("4.0")
    assert stats.median_messages == Decimal("3.0")


def test_median_of_an_odd_number_of_conversations_is_the_middle_one(db):
    for size in (1, 2, 9):
        talk_with(size)

    assert conversation_stats(**PERIOD).median_messages == Decimal("2.0")


def test_only_conversations_started_in_the_period_count(db):
    talk_with(3)
    talk_with(50, day="2025-03-11")

    stats = conversation_stats(**PERIOD)

    assert stats.conversations == 1
    assert stats.average_messages == Decimal("3.0")


def test_conversation_stats_follow_the_source_filter(db):
    talk_with(3, source="ads")
    talk_with(7)

    assert conversation_stats(**PERIOD, source="ads").average_messages == Decimal("3.0")
    assert conversation_stats(**PERIOD, source="").average_messages == Decimal("7.0")


def test_no_conversations_means_no_average_or_median(db):
    stats = conversation_stats(**PERIOD)

    assert (stats.conversations, stats.average_messages, stats.median_messages) == (0, None, None)


@pytest.fixture
def ten_replies(db):
    """Replies taking 100, 200, ... 1000 ms, stored out of order, plus rows that must not count."""
    talk = conversation(lead(moscow("2025-03-04"), source="ads"))
    for latency in (700, 100, 1000, 300, 900, 200, 500, 800, 400, 600):
        message(talk, role=Message.Role.ASSISTANT, latency_ms=latency)
    message(talk, role=Message.Role.ASSISTANT, latency_ms=None)
    message(talk, role=Message.Role.USER, latency_ms=99_999)
    message(talk, moscow("2025-03-11"), role=Message.Role.ASSISTANT, latency_ms=99_999)
    return talk


def test_latency_percentiles_use_the_nearest_rank(ten_replies):
    latency = reply_latency(**PERIOD)

    assert latency.replies == 10
    assert latency.percentiles == [(50, 500), (90, 900), (99, 1000)]


def test_latency_of_three_replies(db):
    talk = conversation(lead(moscow("2025-03-04")))
    for latency in (30, 10, 20):
        message(talk, role=Message.Role.ASSISTANT, latency_ms=latency)

    assert reply_latency(**PERIOD).percentiles == [(50, 20), (90, 30), (99, 30)]


def test_latency_follows_the_source_filter(ten_replies):
    assert reply_latency(**PERIOD, source="ads").replies == 10
    assert reply_latency(**PERIOD, source="vk").replies == 0


def test_no_replies_means_no_percentiles(db):
    latency = reply_latency(**PERIOD)

    assert latency.replies == 0
    assert latency.percentiles == [(50, None), (90, None), (99, None)]
