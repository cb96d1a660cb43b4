"""End-to-end: characters a database refuses (NUL, lone surrogates) never cost a message.

PostgreSQL refuses NUL in text; no driver can encode a lone UTF-16 surrogate. Both arrive as
JSON escapes from Telegram or a model. Run on PostgreSQL too: SQLite stores NUL.
"""

from asgiref.sync import sync_to_async

from conversations.models import Message
from tests.bot.test_e2e_basics import contact_for, wait_messages
from tests.discovery.test_e2e_discovery import until
from tests.fakes.openai_server import Reply

CHAT = 7301
ANSWER = "Hello from the fake model."


def stored(role):
    return list(Message.objects.filter(role=role).order_by("id").values_list("text", "status"))


async def test_a_nul_byte_in_the_message_and_the_name_is_stored_and_answered(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(CHAT, "a\x00b", user={"first_name": "An\x00na"})
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text == ANSWER
    assert await sync_to_async(stored)("user") == [("ab", "complete")]
    assert (await sync_to_async(contact_for)(CHAT)).first_name == "Anna"
    assert fake_openai.completion_requests()[0].body["messages"][-1]["content"] == "ab"


async def test_lone_surrogates_in_the_message_and_the_names_become_replacement_characters(
    running_bot, fake_telegram
):
    user = {"last_name": "K\ud800", "username": "x\udfff"}
    fake_telegram.push_message(CHAT, "price\ud83d?", user=user)
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text == ANSWER
    assert await sync_to_async(stored)("user") == [("price\ufffd?", "complete")]
    contact = await sync_to_async(contact_for)(CHAT)
    assert (contact.last_name, contact.username) == ("K\ufffd", "x\ufffd")


async def test_a_model_answer_with_a_nul_byte_is_stored(running_bot, fake_telegram, fake_openai):
    fake_openai.queue(Reply(text="Three\x00 thousand."))
    fake_telegram.push_message(CHAT, "Price?")
    await wait_messages(fake_telegram, CHAT, 1)
    assert await sync_to_async(stored)("assistant") == [("Three thousand.", "complete")]


async def test_button_data_with_a_nul_byte_is_stored_and_answered(running_bot, fake_telegram):
    fake_telegram.push_callback_query(CHAT, "gone\x00:1", 1, language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert reply.visible_text == "This button is no longer active."
    assert await sync_to_async(stored)("user") == [("gone:1", "complete")]


async def test_an_edit_with_a_nul_byte_is_stored(running_bot, fake_telegram):
    fake_telegram.push_edited_message(CHAT, 1, "Price\x00?")
    await until(lambda: Message.objects.exists())
    assert await sync_to_async(stored)("user") == [("Price?", "complete")]


async def test_a_deep_link_source_with_a_nul_byte_is_refused_and_the_command_stored(
    running_bot, fake_telegram
):
    fake_telegram.push_message(CHAT, "/start ads\x00vk")
    await wait_messages(fake_telegram, CHAT, 1)
    assert (await sync_to_async(contact_for)(CHAT)).source == ""
    assert await sync_to_async(stored)("user") == [("/start adsvk", "complete")]
