"""Business hours in the bot's own time zone, including hours that run past midnight."""

import datetime
import zoneinfo

import pytest

from bots.selectors import BotInfo, active_bots, bot_by_telegram_id, bot_info
from tests.factories import BotFactory

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")


def hours(opens: str, closes: str, days=(0, 1, 2, 3, 4), zone="Europe/Moscow") -> BotInfo:
    return BotInfo(
        id=1,
        name="Shop",
        username="shop_bot",
        telegram_id=1,
        is_active=True,
        languages=("ru", "en"),
        staff_chat_id="",
        sign_operator_messages=True,
        time_zone=zone,
        work_days=frozenset(days),
        opens_at=datetime.time.fromisoformat(opens),
        closes_at=datetime.time.fromisoformat(closes),
        token_source="1",
        version="1",
    )


def at(text: str) -> datetime.datetime:
    """A moment in Moscow; 2026-12-07 is a Monday."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=MOSCOW)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        ("2026-12-07 08:59", False),
        ("2026-12-07 09:00", True),
        ("2026-12-07 17:59", True),
        ("2026-12-07 18:00", False),
        ("2026-12-12 12:00", False),  # Saturday
    ],
)
def test_day_hours(moment, open_):
    assert hours("09:00", "18:00").is_open(at(moment)) is open_


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        ("2026-12-11 23:00", True),  # Friday night
        ("2026-12-12 01:00", True),  # the same night, after midnight, is Friday's
        ("2026-12-12 23:00", False),  # Saturday night
        ("2026-12-07 01:00", False),  # Monday 01:00 is Sunday's night
        ("2026-12-07 12:00", False),
    ],
)
def test_night_hours_belong_to_the_day_they_begin(moment, open_):
    assert hours("20:00", "02:00").is_open(at(moment)) is open_


def test_the_bots_own_time_zone_decides():
    vladivostok = hours("09:00", "18:00", zone="Asia/Vladivostok")

    assert vladivostok.is_open(at("2026-12-07 03:00"))  # 10:00 in Vladivostok
    assert not vladivostok.is_open(at("2026-12-07 12:00"))  # 19:00 there


def test_the_next_opening_skips_the_weekend():
    friday_evening = at("2026-12-11 19:00")

    assert hours("09:00", "18:00").next_opening(friday_evening) == at("2026-12-14 09:00")
    assert hours("09:00", "18:00").next_opening(at("2026-12-07 08:00")) == at("2026-12-07 09:00")
    assert hours("09:00", "18:00", days=()).next_opening(friday_evening) is None


def test_a_person_is_answered_in_their_language_only_if_the_bot_speaks_it():
    english_only = BotInfo(**{**hours("09:00", "18:00").__dict__, "languages": ("en",)})

    assert english_only.speaks("ru") == "en"
    assert english_only.speaks("en") == "en"


def test_reads_follow_saves(db):
    shop = BotFactory(name="Shop")
    BotFactory(name="Old", is_active=False)

    assert [bot.name for bot in active_bots()] == ["Shop"]
    assert bot_by_telegram_id(telegram_id=shop.telegram_id).id == shop.pk
    shop.name = "Shop 2"
    shop.save()
    assert bot_info(bot_id=shop.pk).name == "Shop 2"
    assert bot_info(bot_id=0) is None
