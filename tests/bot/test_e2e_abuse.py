"""End-to-end: floods of contacts and buttons, forged buttons, and privacy in group chats."""

import asyncio

from asgiref.sync import sync_to_async

from assistant.runtime import BUTTON_PRESSES_PER_MINUTE
from conversations.models import Contact, Message, StaffNotice
from discovery.models import ExtractionRun
from tests.bot.test_e2e_basics import contact_for, wait_messages
from tests.discovery.test_e2e_discovery import (
    ScriptedModel,
    card_confirmed_at,
    make_scenario,
    tool,
    until,
)
from tests.fakes.openai_server import Reply
from tests.running_bot import renew_runtime

CHAT = 8201
GROUP = -8202
STAFF_CHAT = -100820
GROUP_MEMBER = 424242  # the fake's sender of group messages


def extraction_requests(fake_openai):
    return [r for r in fake_openai.completion_requests() if "tool_choice" in r.body]


async def test_contact_only_messages_ask_the_flood_limit_before_reading_the_card(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    await sync_to_async(make_scenario)()
    bot_settings.ASSISTANT_RATE_LIMIT_CALLS = 1
    renew_runtime(running_bot)
    ScriptedModel(fake_openai)
    for number in range(3):
        fake_telegram.push_message(CHAT, f"+7 912 345-67-8{number}", language_code="en")
    fake_telegram.push_contact(CHAT, "+79123456789", language_code="en")
    await wait_messages(fake_telegram, CHAT, 4)
    await until(lambda: ExtractionRun.objects.exists())
    await asyncio.sleep(0.3)
    assert len(extraction_requests(fake_openai)) == 1


async def test_a_shared_contact_over_the_limit_is_saved_without_an_llm_call(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    await sync_to_async(make_scenario)()
    bot_settings.ASSISTANT_RATE_LIMIT_CALLS = 1
    renew_runtime(running_bot)
    ScriptedModel(fake_openai)
    fake_telegram.push_message(CHAT, "Вопрос", language_code="en")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_contact(CHAT, "+79123456789", language_code="en")
    thanks = (await wait_messages(fake_telegram, CHAT, 2))[1]
    assert "+79123456789" in thanks.visible_text
    await asyncio.sleep(0.3)
    assert len(fake_openai.completion_requests()) == 2  # the answer and its card update


async def test_pressing_interest_again_and_again_tells_staff_once(
    running_bot, fake_telegram, bot_settings, services
):
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    fake_telegram.push_contact(CHAT, "+79123456789", language_code="en")
    await wait_messages(fake_telegram, STAFF_CHAT, 1)
    service = services[0]
    for _ in range(4):
        fake_telegram.push_callback_query(CHAT, f"interest:{service.pk}", 1, language_code="en")
    await wait_messages(fake_telegram, CHAT, 5)
    await asyncio.sleep(0.2)
    assert len(fake_telegram.sent_messages(STAFF_CHAT)) == 2  # the new lead, one interest
    reasons = await sync_to_async(
        lambda: sorted(StaffNotice.objects.values_list("reason", flat=True))
    )()
    assert reasons == ["interest", "new_lead"]


async def test_button_presses_beyond_the_limit_do_nothing_but_say_so_once(
    running_bot, fake_telegram, services
):
    presses = BUTTON_PRESSES_PER_MINUTE + 5
    for _ in range(presses):
        fake_telegram.push_callback_query(CHAT, "catalog:", 1, language_code="en")
    await wait_messages(fake_telegram, CHAT, BUTTON_PRESSES_PER_MINUTE)
    await fake_telegram.wait_for_async(
        lambda: len(fake_telegram.calls_of("answerCallbackQuery")) == presses, 5, "answers"
    )
    assert len(fake_telegram.sent_messages(CHAT)) == BUTTON_PRESSES_PER_MINUTE
    toasts = [call.params.get("text") for call in fake_telegram.calls_of("answerCallbackQuery")]
    assert toasts.count("You are pressing buttons too fast. Please wait a moment.") == 1
    stored = await sync_to_async(Message.objects.filter(content_type="callback").count)()
    assert stored == presses


async def test_a_forged_confirmation_of_a_card_never_shown_is_refused(running_bot, fake_telegram):
    fake_telegram.push_callback_query(CHAT, "card:ok", 1, language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert reply.visible_text == "This button is no longer active."
    assert await sync_to_async(card_confirmed_at)(CHAT) is None


async def test_a_summarised_card_can_be_confirmed_and_a_second_press_keeps_the_first_time(
    running_bot, fake_telegram, fake_openai
):
    await sync_to_async(make_scenario)()
    model = ScriptedModel(fake_openai)
    model.extractions = [tool({"name": "Анна", "budget": "50 тыс руб"})]
    fake_telegram.push_message(CHAT, "Анна, бюджет 50к", language_code="en")
    summary = (await wait_messages(fake_telegram, CHAT, 2))[1]
    fake_telegram.push_callback_query(CHAT, "card:ok", summary.message_id, language_code="en")
    await wait_messages(fake_telegram, CHAT, 4)  # thanks, and how satisfied they are
    first = await sync_to_async(card_confirmed_at)(CHAT)
    fake_telegram.push_callback_query(CHAT, "card:ok", summary.message_id, language_code="en")
    thanks = (await wait_messages(fake_telegram, CHAT, 5))[4]
    assert thanks.visible_text == "Thank you! We will contact you soon."
    assert await sync_to_async(card_confirmed_at)(CHAT) == first


async def test_a_group_answer_uses_nothing_from_the_private_chat(
    running_bot, fake_telegram, fake_openai
):
    fake_openai.default = lambda body: Reply(text="Ответ.")
    fake_telegram.push_message(GROUP_MEMBER, "Мой телефон +79123456789")
    fake_telegram.push_message(GROUP_MEMBER, "Секретный вопрос про долги")
    await wait_messages(fake_telegram, GROUP_MEMBER, 3)
    fake_telegram.push_message(GROUP, "@fake_test_bot привет", chat_type="group")
    await wait_messages(fake_telegram, GROUP, 1)
    request = fake_openai.completion_requests()[-1].body["messages"]
    assert request[-1]["content"] == "привет"
    whole = str(request)
    assert "+79123456789" not in whole
    assert "Секретный вопрос" not in whole
    assert [m["content"] for m in request if m["role"] == "user"] == ["привет"]


async def test_a_phone_typed_in_a_group_is_neither_saved_nor_repeated_there(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    await sync_to_async(make_scenario)()
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    ScriptedModel(fake_openai)
    fake_telegram.push_message(GROUP, "@fake_test_bot мой номер +79123456789", chat_type="group")
    await wait_messages(fake_telegram, GROUP, 1)
    await asyncio.sleep(0.3)
    shown = [m.visible_text for m in fake_telegram.sent_messages(GROUP)]
    assert shown == ["Ответ консультанта."]
    assert fake_telegram.sent_messages(STAFF_CHAT) == []
    assert (await sync_to_async(contact_for)(GROUP_MEMBER)).phone == ""
    assert extraction_requests(fake_openai) == []


async def test_asking_to_leave_a_contact_in_a_group_invites_to_the_private_chat(
    running_bot, fake_telegram
):
    fake_telegram.push_message(GROUP, "/contact", chat_type="group", language_code="en")
    invitation = (await wait_messages(fake_telegram, GROUP, 1))[0]
    assert "private chat: @fake_test_bot" in invitation.visible_text
    button = invitation.reply_markup["inline_keyboard"][0][0]
    assert button["url"] == "https://t.me/fake_test_bot"


async def test_a_group_conversation_is_kept_apart_from_the_private_one(running_bot, fake_telegram):
    fake_telegram.push_message(GROUP_MEMBER, "/help")
    fake_telegram.push_message(GROUP, "/help", chat_type="group")
    await wait_messages(fake_telegram, GROUP, 1)
    contact = await sync_to_async(contact_for)(GROUP_MEMBER)
    chats = await sync_to_async(
        lambda: sorted(contact.conversations.values_list("group_chat_id", flat=True))
    )()
    assert chats == ["", str(GROUP)]


async def test_a_mention_in_another_letter_case_is_recognised_and_removed(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(GROUP, "@FAKE_Test_Bot сколько стоит?", chat_type="group")
    await wait_messages(fake_telegram, GROUP, 1)
    question = fake_openai.completion_requests()[0].body["messages"][-1]["content"]
    assert question == "сколько стоит?"


async def test_a_contact_card_posted_in_a_group_is_left_alone(running_bot, fake_telegram):
    fake_telegram.push_contact(GROUP, "+79123456789", chat_type="group")
    fake_telegram.push_message(GROUP, "/help", chat_type="group")
    await wait_messages(fake_telegram, GROUP, 1)
    contact = await sync_to_async(Contact.objects.get)(external_id=str(GROUP_MEMBER))
    assert contact.phone == ""


async def test_a_button_works_even_when_its_spinner_cannot_be_stopped(
    running_bot, fake_telegram, services
):
    fake_telegram.fail_next("answerCallbackQuery", error_code=400)
    fake_telegram.push_callback_query(CHAT, "catalog:", 1, language_code="en")
    menu = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert menu.visible_text == "Our services:"


async def test_interest_pressed_in_a_group_invites_to_the_private_chat(
    running_bot, fake_telegram, services
):
    fake_telegram.push_message(GROUP, "/services", chat_type="group", language_code="en")
    menu = (await wait_messages(fake_telegram, GROUP, 1))[0]
    fake_telegram.push_callback_query(
        GROUP, f"interest:{services[0].pk}", menu.message_id, user={"id": GROUP_MEMBER}
    )
    invitation = (await wait_messages(fake_telegram, GROUP, 2))[1]
    assert "@fake_test_bot" in invitation.visible_text
    interests = await sync_to_async(lambda: contact_for(GROUP_MEMBER).service_interests.count())()
    assert interests == 0


async def test_a_staff_chat_that_refuses_the_card_does_not_disturb_the_person(
    running_bot, fake_telegram, bot_settings, services
):
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    fake_telegram.fail_next("sendMessage", error_code=403, chat_id=STAFF_CHAT)
    fake_telegram.push_contact(CHAT, "+79123456789", language_code="en")
    thanks = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert "+79123456789" in thanks.visible_text
    fake_telegram.push_callback_query(CHAT, f"interest:{services[0].pk}", 1, language_code="en")
    card = (await wait_messages(fake_telegram, STAFF_CHAT, 1))[0]
    assert "+79123456789" in card.visible_text
    assert not (await sync_to_async(contact_for)(CHAT)).is_blocked
