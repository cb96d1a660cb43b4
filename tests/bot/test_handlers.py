"""Handler paths that the conversation tests do not reach on their own."""

from asgiref.sync import sync_to_async

from bot.models import InboundUpdate
from catalog.models import Service
from conversations.models import Message
from tests.bot.test_e2e_basics import wait_messages
from tests.running_bot import inbox_settled

CHAT = 9501
STAFF_CHAT = -100700


async def test_a_message_without_a_sender_is_ignored(running_bot, fake_telegram):
    update_id = fake_telegram.push_raw(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": CHAT, "type": "private"},
                "text": "анонимно",
            }
        }
    )
    fake_telegram.push_message(CHAT, "/help")
    await wait_messages(fake_telegram, CHAT, 1)
    assert update_id not in fake_telegram.pending_update_ids()
    texts = await sync_to_async(lambda: list(Message.objects.values_list("text", flat=True)))()
    assert "анонимно" not in texts


async def test_a_message_without_a_chat_is_skipped_not_failed(running_bot, fake_telegram):
    sender = {"id": CHAT, "is_bot": False, "first_name": "Анна"}
    message = {"message_id": 1, "date": 0, "from": sender, "text": "где я?"}
    update_id = fake_telegram.push_raw({"message": message})
    await fake_telegram.wait_for_async(lambda: update_id not in fake_telegram.pending_update_ids())
    [row] = await inbox_settled()
    assert (row.state, row.last_error) == (InboundUpdate.State.DONE, "")
    assert fake_telegram.sent_messages(CHAT) == []


async def test_an_empty_catalog_is_reported_politely(running_bot, fake_telegram):
    fake_telegram.push_message(CHAT, "/services", language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert reply.visible_text == "The list of services is being updated."


async def test_no_models_to_choose_is_reported_politely(running_bot, fake_telegram, llm_model):
    llm_model.is_active = False
    await sync_to_async(llm_model.save)()
    fake_telegram.push_message(CHAT, "/model", language_code="en")
    fake_telegram.push_callback_query(CHAT, "model:999", 1, language_code="en")
    first, second = await wait_messages(fake_telegram, CHAT, 2)
    assert first.visible_text == "No models are available right now."
    assert second.visible_text == "No models are available right now."


async def test_start_menu_buttons_open_the_catalog_and_the_contact_request(
    running_bot, fake_telegram, services
):
    fake_telegram.push_message(CHAT, "/start", language_code="en")
    start = (await wait_messages(fake_telegram, CHAT, 1))[0]
    catalog_button, contact_button, person_button = (
        row[0] for row in start.reply_markup["inline_keyboard"]
    )
    assert person_button["text"] == "Talk to a person"
    fake_telegram.push_callback_query(CHAT, catalog_button["callback_data"], start.message_id)
    await wait_messages(fake_telegram, CHAT, 2)
    fake_telegram.push_callback_query(CHAT, contact_button["callback_data"], start.message_id)
    messages = await wait_messages(fake_telegram, CHAT, 4)
    assert messages[1].visible_text == "Our services:"
    assert messages[3].reply_markup["keyboard"][0][0]["request_contact"] is True


async def test_interest_in_a_service_withdrawn_meanwhile_is_reported(
    running_bot, fake_telegram, services
):
    await sync_to_async(Service.objects.filter(pk=services[0].pk).update)(is_active=False)
    fake_telegram.push_callback_query(CHAT, f"interest:{services[0].pk}", 1, language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert reply.visible_text == "This service is no longer offered."


async def test_an_unreadable_shared_phone_is_reported(running_bot, fake_telegram):
    fake_telegram.push_contact(CHAT, "12", language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert reply.visible_text == "I could not read this phone number, sorry."


async def test_a_failing_staff_chat_does_not_disturb_the_person(
    running_bot, fake_telegram, bot_settings
):
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    fake_telegram.fail_next("sendMessage", error_code=400, chat_id=STAFF_CHAT)
    fake_telegram.push_contact(CHAT, "+79123456789", language_code="en")
    thanks = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert "+79123456789" in thanks.visible_text
    await fake_telegram.wait_for_async(
        lambda: any(c.params.get("chat_id") == STAFF_CHAT for c in fake_telegram.calls)
    )


async def test_stickers_in_groups_are_ignored(running_bot, fake_telegram):
    fake_telegram.push_sticker(-9600, chat_type="group")
    fake_telegram.push_message(-9600, "@fake_test_bot /help?", chat_type="group")
    await wait_messages(fake_telegram, -9600, 1)
    kinds = await sync_to_async(
        lambda: list(Message.objects.filter(role="user").values_list("content_type", flat=True))
    )()
    assert "sticker" not in kinds


async def test_an_unexpected_content_kind_is_stored_as_other(running_bot, fake_telegram):
    fake_telegram.push_raw(
        {
            "message": {
                "message_id": 3,
                "date": 0,
                "chat": {"id": CHAT, "type": "private"},
                "from": {"id": CHAT, "is_bot": False, "first_name": "A", "language_code": "en"},
                "dice": {"emoji": "🎲", "value": 3},
            }
        }
    )
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert "only text" in reply.visible_text
    kind = await sync_to_async(lambda: Message.objects.get(role="user").content_type)()
    assert kind == "other"


async def test_an_unexpected_error_is_logged_and_the_person_gets_an_apology(
    running_bot, fake_telegram, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("assistant.usecases.conversation._greeting", broken)
    fake_telegram.push_message(CHAT, "/start", language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert reply.visible_text.startswith("Sorry, something went wrong.")
    assert "Error while handling update" in caplog.text
    [inbound] = await inbox_settled()
    assert inbound.state == InboundUpdate.State.FAILED  # a fault of ours is not tried again
    assert inbound.last_error == "RuntimeError: boom"


async def test_when_even_the_apology_fails_the_bot_keeps_running(
    running_bot, fake_telegram, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("assistant.usecases.conversation._greeting", broken)
    fake_telegram.fail_next("sendMessage", error_code=400, chat_id=CHAT)
    fake_telegram.push_message(CHAT, "/start")
    await fake_telegram.wait_for_async(lambda: fake_telegram.calls_of("sendMessage"))
    fake_telegram.push_message(CHAT, "/help")
    await wait_messages(fake_telegram, CHAT, 1)
    assert "Could not apologise" in caplog.text
