"""End-to-end: greeting, deep links, help and the command menu, through the fake Bot API."""

import pytest
from asgiref.sync import sync_to_async
from telegram.ext import CommandHandler

from assistant.usecases import COMMANDS
from bot.application import publish_command_menu
from conversations.models import Contact, Conversation, Message
from tests.running_bot import in_thread

CHAT = 5001


def contact_for(chat_id):
    return Contact.objects.get(channel="telegram", external_id=str(chat_id))


async def wait_messages(fake, chat_id, count, timeout=5.0):
    await fake.wait_for_async(
        lambda: len(fake.sent_messages(chat_id)) >= count, timeout, f"{count} messages"
    )
    return fake.sent_messages(chat_id)


async def test_start_greets_with_the_editable_prompt_in_the_users_language(
    running_bot, fake_telegram
):
    fake_telegram.push_message(CHAT, "/start", language_code="en")
    greeting = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert greeting.visible_text == "Hello! I will help you choose."
    assert greeting.reply_markup["inline_keyboard"]


async def test_russian_is_the_default_for_unknown_client_languages(running_bot, fake_telegram):
    fake_telegram.push_message(CHAT, "/start", language_code="de")
    greeting = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert greeting.visible_text == "Здравствуйте! Я помогу выбрать услугу."


async def test_a_prompt_edited_in_admin_applies_to_the_next_message(running_bot, fake_telegram):
    """The greeting is read once and kept; staff saving a new one (from another process, as
    the admin does) is what the very next greeting says."""
    from conversations.models import Prompt

    def edit_greeting():
        prompt = Prompt.objects.get(key="greeting", language="ru")
        prompt.text = "Привет!"
        prompt.save()

    fake_telegram.push_message(CHAT, "/start")
    assert (await wait_messages(fake_telegram, CHAT, 1))[0].visible_text.startswith("Здравствуйте")
    await in_thread(edit_greeting)
    fake_telegram.push_message(CHAT, "/start")
    assert (await wait_messages(fake_telegram, CHAT, 2))[1].visible_text == "Привет!"


async def test_deep_link_payload_becomes_the_lead_source_and_is_not_overwritten(
    running_bot, fake_telegram
):
    fake_telegram.push_message(CHAT, "/start ads_vk")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_message(CHAT, "/start other_campaign")
    await wait_messages(fake_telegram, CHAT, 2)
    contact = await sync_to_async(contact_for)(CHAT)
    assert contact.source == "ads_vk"


@pytest.mark.parametrize(
    "payload", ['=HYPERLINK("http://evil")', "a" * 65, "ads vk", "реклама", "a;b"]
)
async def test_a_start_payload_telegram_would_never_send_is_not_kept(
    running_bot, fake_telegram, payload
):
    fake_telegram.push_message(CHAT, f"/start {payload}")
    await wait_messages(fake_telegram, CHAT, 1)
    assert (await sync_to_async(contact_for)(CHAT)).source == ""


async def test_commands_and_the_bots_answers_are_stored(running_bot, fake_telegram):
    fake_telegram.push_message(CHAT, "/start")
    await wait_messages(fake_telegram, CHAT, 1)
    roles = await sync_to_async(
        lambda: list(Message.objects.order_by("id").values_list("role", "content_type"))
    )()
    assert roles == [("user", "command"), ("system", "text")]


def registered_commands(application) -> set[str]:
    return {
        name
        for handler in application.handlers[0]
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    }


async def test_help_lists_every_registered_command(running_bot, fake_telegram):
    fake_telegram.push_message(CHAT, "/help", language_code="en")
    text = (await wait_messages(fake_telegram, CHAT, 1))[0].visible_text
    for name in registered_commands(running_bot):
        assert f"/{name}" in text


async def test_the_command_menu_is_published_in_russian_and_english(running_bot, fake_telegram):
    await publish_command_menu(running_bot)
    registered = registered_commands(running_bot)
    for language in ("ru", "en", ""):
        menu = fake_telegram.commands(language_code=language)
        assert {item["command"] for item in menu} == registered
    assert {command.name for command in COMMANDS} == registered
    russian = {item["command"]: item["description"] for item in fake_telegram.commands("ru")}
    english = {item["command"]: item["description"] for item in fake_telegram.commands("en")}
    assert russian["help"] != english["help"]


async def test_unknown_command_points_to_help(running_bot, fake_telegram):
    fake_telegram.push_message(CHAT, "/teleport", language_code="en")
    text = (await wait_messages(fake_telegram, CHAT, 1))[0].visible_text
    assert "/help" in text


async def test_new_starts_a_new_conversation_and_keeps_the_history(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(CHAT, "Первый вопрос")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_message(CHAT, "/new")
    await wait_messages(fake_telegram, CHAT, 2)
    fake_telegram.push_message(CHAT, "Второй вопрос")
    await wait_messages(fake_telegram, CHAT, 3)
    last_request = fake_openai.completion_requests()[-1].body["messages"]
    assert "Первый вопрос" not in str(last_request)
    counts = await sync_to_async(
        lambda: (Conversation.objects.count(), Message.objects.filter(role="user").count())
    )()
    assert counts == (2, 3)


async def test_language_button_switches_the_language(running_bot, fake_telegram):
    fake_telegram.push_message(CHAT, "/language")
    menu = (await wait_messages(fake_telegram, CHAT, 1))[0]
    fake_telegram.push_callback_query(CHAT, "lang:en", menu.message_id)
    changed = (await wait_messages(fake_telegram, CHAT, 2))[1]
    assert changed.visible_text == "Language changed. How can I help?"
    fake_telegram.push_message(CHAT, "/start")
    greeting = (await wait_messages(fake_telegram, CHAT, 3))[2]
    assert greeting.visible_text == "Hello! I will help you choose."
