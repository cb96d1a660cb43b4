"""End-to-end: the catalog with its buttons, model choice, groups, other kinds of content."""

from asgiref.sync import sync_to_async

from conversations.models import Message
from tests.bot.test_e2e_basics import contact_for, wait_messages
from tests.factories import LLMModelFactory, LLMProviderFactory

CHAT = 9001
GROUP = -9002
STAFF_CHAT = -100600


def button(message, row=0):
    return message.reply_markup["inline_keyboard"][row][0]


async def test_services_shows_the_catalog_and_a_service_card(running_bot, fake_telegram, services):
    fake_telegram.push_message(CHAT, "/services", language_code="en")
    catalog = (await wait_messages(fake_telegram, CHAT, 1))[0]
    titles = [row[0]["text"] for row in catalog.reply_markup["inline_keyboard"]]
    assert titles == ["Консультация", "Сопровождение"]
    fake_telegram.push_callback_query(CHAT, button(catalog)["callback_data"], catalog.message_id)
    card = (await wait_messages(fake_telegram, CHAT, 2))[1]
    assert "Консультация" in card.visible_text
    assert "3 000 RUB" in card.visible_text
    assert button(card)["text"] == "I'm interested"


async def test_interest_without_a_contact_asks_for_one_after_the_privacy_notice(
    running_bot, fake_telegram, services
):
    fake_telegram.push_message(CHAT, "/services", language_code="en")
    catalog = (await wait_messages(fake_telegram, CHAT, 1))[0]
    fake_telegram.push_callback_query(CHAT, f"interest:{services[1].pk}", catalog.message_id)
    _catalog, noted, notice, request = await wait_messages(fake_telegram, CHAT, 4)
    assert "Сопровождение" in noted.visible_text
    assert notice.visible_text.startswith("We keep your data")
    assert request.reply_markup["keyboard"][0][0]["request_contact"] is True
    contact = await sync_to_async(contact_for)(CHAT)
    interests = await sync_to_async(lambda: [i.service for i in contact.service_interests.all()])()
    assert interests == [services[1]]


async def test_interest_with_a_known_contact_thanks_and_tells_the_staff(
    running_bot, fake_telegram, services, bot_settings
):
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    fake_telegram.push_contact(CHAT, "+79123456789")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_callback_query(CHAT, f"interest:{services[0].pk}", 1)
    thanks = (await wait_messages(fake_telegram, CHAT, 2))[1]
    assert "Консультация" in thanks.visible_text
    cards = await wait_messages(fake_telegram, STAFF_CHAT, 2)
    assert "Консультация" in cards[-1].visible_text


async def test_a_service_that_was_deactivated_is_reported_gone(
    running_bot, fake_telegram, services
):
    services[0].is_active = False
    await sync_to_async(services[0].save)()
    fake_telegram.push_callback_query(CHAT, f"service:{services[0].pk}", 1, language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert reply.visible_text == "This service is no longer offered."


async def test_an_unknown_button_is_answered_not_ignored(running_bot, fake_telegram):
    fake_telegram.push_callback_query(CHAT, "mystery:1", 1, language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert reply.visible_text == "This button is no longer active."
    assert fake_telegram.calls_of("answerCallbackQuery")


async def test_model_choice_is_stored_and_used_for_the_next_answer(
    running_bot, fake_telegram, fake_openai, llm_model
):
    other = await sync_to_async(LLMModelFactory)(
        provider=llm_model.provider, model_id="smart-model", display_name="Smart"
    )
    fake_telegram.push_message(CHAT, "/model", language_code="en")
    menu = (await wait_messages(fake_telegram, CHAT, 1))[0]
    labels = [row[0]["text"] for row in menu.reply_markup["inline_keyboard"]]
    assert labels == ["✓ Fake Model", "Smart"]
    fake_telegram.push_callback_query(CHAT, f"model:{other.pk}", menu.message_id)
    chosen = (await wait_messages(fake_telegram, CHAT, 2))[1]
    assert chosen.visible_text == "Done: Smart will answer you now."
    fake_telegram.push_message(CHAT, "Вопрос")
    await wait_messages(fake_telegram, CHAT, 3)
    assert fake_openai.completion_requests()[-1].body["model"] == "smart-model"


async def test_models_without_their_key_are_not_offered_nor_accepted(
    running_bot, fake_telegram, fake_openai, llm_model, monkeypatch
):
    monkeypatch.delenv("ABSENT_API_KEY", raising=False)
    keyless = await sync_to_async(LLMProviderFactory)(name="Paid", api_key_env="ABSENT_API_KEY")
    paid = await sync_to_async(LLMModelFactory)(provider=keyless, display_name="Paid model")
    fake_telegram.push_message(CHAT, "/model", language_code="en")
    menu = (await wait_messages(fake_telegram, CHAT, 1))[0]
    labels = [row[0]["text"] for row in menu.reply_markup["inline_keyboard"]]
    assert labels == ["✓ Fake Model"]
    fake_telegram.push_callback_query(CHAT, f"model:{paid.pk}", menu.message_id, language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 2))[1]
    assert reply.visible_text == (
        "That model is not available; you will get answers from Fake Model."
    )


async def test_an_inactive_chosen_model_falls_back_to_the_default_and_says_so(
    running_bot, fake_telegram, fake_openai, llm_model
):
    retired = await sync_to_async(LLMModelFactory)(
        provider=llm_model.provider, model_id="retired", is_active=False
    )
    fake_telegram.push_callback_query(CHAT, f"model:{retired.pk}", 1, language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert (
        reply.visible_text == "That model is not available; you will get answers from Fake Model."
    )


async def test_a_chosen_model_retired_later_is_replaced_with_a_note(
    running_bot, fake_telegram, fake_openai, llm_model
):
    later = await sync_to_async(LLMModelFactory)(provider=llm_model.provider, model_id="later")
    fake_telegram.push_callback_query(CHAT, f"model:{later.pk}", 1, language_code="en")
    await wait_messages(fake_telegram, CHAT, 1)
    later.is_active = False
    await sync_to_async(later.save)()
    fake_telegram.push_message(CHAT, "Вопрос", language_code="en")
    note, answer = (await wait_messages(fake_telegram, CHAT, 3))[1:]
    assert "no longer available" in note.visible_text
    assert answer.visible_text == "Hello from the fake model."
    assert fake_openai.completion_requests()[-1].body["model"] == "fake-model"


async def test_in_a_group_the_bot_answers_only_when_mentioned_or_replied_to(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(GROUP, "просто болтаем", chat_type="group")
    fake_telegram.push_message(GROUP, "@fake_test_bot сколько стоит?", chat_type="group")
    first = (await wait_messages(fake_telegram, GROUP, 1))[0]
    fake_telegram.push_message(
        GROUP, "а подробнее?", chat_type="group", reply_to_message=first.message_id
    )
    await wait_messages(fake_telegram, GROUP, 2)
    contents = [r.body["messages"][-1]["content"] for r in fake_openai.completion_requests()]
    assert contents == ["сколько стоит?", "а подробнее?"]
    assert not fake_telegram.drafts(GROUP), "drafts are for private chats only"


async def test_in_a_group_the_answer_grows_by_throttled_edits(
    running_bot, fake_telegram, fake_openai
):
    from tests.fakes.openai_server import Reply

    fake_openai.queue(Reply(text="Часть. " * 30, chunk_size=20, delay_between_chunks=0.02))
    fake_telegram.push_message(GROUP, "@fake_test_bot расскажи", chat_type="group")
    await fake_telegram.wait_for_async(
        lambda: any(
            m.visible_text.strip() == ("Часть. " * 30).strip()
            for m in fake_telegram.sent_messages(GROUP)
        )
    )
    assert len(fake_telegram.sent_messages(GROUP)) == 1
    assert len(fake_telegram.edits(GROUP)) <= 2


async def test_stickers_photos_files_voice_and_locations_get_a_polite_note_and_are_stored(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_sticker(CHAT, language_code="en")
    fake_telegram.push_photo(CHAT, caption="вот фото")
    fake_telegram.push_document(CHAT)
    fake_telegram.push_voice(CHAT)
    fake_telegram.push_location(CHAT)
    replies = await wait_messages(fake_telegram, CHAT, 5)
    assert all("only text" in reply.visible_text for reply in replies)
    kinds = await sync_to_async(
        lambda: list(Message.objects.filter(role="user").values_list("content_type", "text"))
    )()
    assert [kind for kind, _text in kinds] == ["sticker", "photo", "document", "voice", "location"]
    assert ("photo", "вот фото") in kinds
    assert fake_openai.completion_requests() == []


async def test_an_edited_message_is_stored_but_not_answered_again(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(CHAT, "Сколько стоит?", message_id=50)
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_edited_message(CHAT, 50, "Сколько стоит консультация?")
    fake_telegram.push_message(CHAT, "/help")
    await wait_messages(fake_telegram, CHAT, 2)
    texts = await sync_to_async(
        lambda: list(Message.objects.filter(role="user").values_list("text", flat=True))
    )()
    assert texts == ["Сколько стоит?", "Сколько стоит консультация?", "/help"]
    assert len(fake_openai.completion_requests()) == 1


async def test_an_empty_caption_free_text_message_is_asked_to_be_written(
    running_bot, fake_telegram
):
    fake_telegram.push_message(GROUP, "@fake_test_bot", chat_type="group", language_code="en")
    reply = (await wait_messages(fake_telegram, GROUP, 1))[0]
    assert reply.visible_text == "Please write your question in words."


async def test_presses_and_commands_are_events_with_labels_not_words_for_the_model(
    running_bot, fake_telegram, fake_openai, services
):
    fake_telegram.push_message(CHAT, "/services", language_code="en")
    catalog = (await wait_messages(fake_telegram, CHAT, 1))[0]
    fake_telegram.push_callback_query(CHAT, button(catalog)["callback_data"], catalog.message_id)
    card = (await wait_messages(fake_telegram, CHAT, 2))[1]
    fake_telegram.push_callback_query(CHAT, button(card)["callback_data"], card.message_id)
    await wait_messages(fake_telegram, CHAT, 5)
    fake_telegram.push_message(CHAT, "Сколько это стоит?")
    await wait_messages(fake_telegram, CHAT, 6)
    presses = await sync_to_async(
        lambda: list(
            Message.objects.filter(content_type="callback")
            .order_by("id")
            .values_list("text", flat=True)
        )
    )()
    assert presses == ["Консультация", "I'm interested — Консультация"]
    request = fake_openai.completion_requests()[-1].body["messages"]
    turns = [message["content"] for message in request if message["role"] != "system"][1:]
    assert turns == ["Сколько это стоит?"]


async def test_someone_elses_refused_contact_card_never_reaches_the_model(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_contact(CHAT, "+79990001122", contact_user_id=777, language_code="en")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_message(CHAT, "Вопрос про цены")
    await wait_messages(fake_telegram, CHAT, 2)
    assert "+79990001122" not in str(fake_openai.completion_requests()[-1].body)
