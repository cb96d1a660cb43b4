"""News for staff that concerns no lead (alerts) reaches each staff chat once."""

import pytest
from asgiref.sync import sync_to_async

from bot.staff_news import tell_staff_chats
from tests.factories import BotFactory

SHOP_TOKEN = "555000222:SHOP-fake-token"
STAFF_CHAT = -100777
SHOP_STAFF = -100888


@pytest.fixture
def shop_fake(transactional_db, fake_telegram):
    return fake_telegram.add_bot(SHOP_TOKEN, username="shop_news_bot")


@pytest.fixture
def staff_chat(bot_settings):
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)


async def test_two_bots_sharing_the_staff_chat_tell_it_once(
    staff_chat, shop_fake, running_bots, fake_telegram
):
    await running_bots.bots.refresh()
    await sync_to_async(BotFactory)(token=SHOP_TOKEN, name="Shop", username="shop_news_bot")
    await running_bots.bots.refresh()
    assert len(running_bots.bots.served()) == 2

    outcomes = await tell_staff_chats(running_bots.bots, "The LLM fails")

    assert list(outcomes) == [str(STAFF_CHAT)]
    sent = fake_telegram.sent_messages(STAFF_CHAT) + shop_fake.sent_messages(STAFF_CHAT)
    assert [message.text for message in sent] == ["The LLM fails"]


async def test_a_staff_chat_that_cannot_be_told_is_logged_and_the_others_are_told(
    staff_chat, shop_fake, running_bots, fake_telegram, caplog
):
    await sync_to_async(BotFactory)(
        token=SHOP_TOKEN, name="Shop", username="shop_news_bot", staff_chat_id=SHOP_STAFF
    )
    await running_bots.bots.refresh()
    shop_fake.fail_next(
        "sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat", chat_id=SHOP_STAFF
    )

    outcomes = await tell_staff_chats(running_bots.bots, "The LLM fails")

    assert {chat: bool(outcome.error) for chat, outcome in outcomes.items()} == {
        str(STAFF_CHAT): False,
        str(SHOP_STAFF): True,
    }
    assert f"Could not tell staff chat {SHOP_STAFF}" in caplog.text
    assert [m.text for m in fake_telegram.sent_messages(STAFF_CHAT)] == ["The LLM fails"]


async def test_bots_without_a_staff_chat_tell_nobody(running_bots, fake_telegram):
    assert await tell_staff_chats(running_bots.bots, "The LLM fails") == {}
