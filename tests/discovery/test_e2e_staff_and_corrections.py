"""End-to-end: one staff card per lead that is updated and replied to; corrections; presses."""

from asgiref.sync import sync_to_async

from conversations.models import Message, StaffNotice
from discovery.models import LeadFieldValue, ScenarioField
from tests.bot.test_e2e_basics import wait_messages
from tests.discovery.test_e2e_discovery import (
    ScriptedModel,
    card_confirmed_at,
    make_scenario,
    tool,
)

CHAT = 7601
STAFF_CHAT = -100760


def add_service_field(scenario):
    ScenarioField.objects.create(
        scenario=scenario,
        key="service",
        field_type="service",
        labels={"ru": "Услуга", "en": "Service"},
        required=True,
        position=10,
    )


def current_card():
    return dict(LeadFieldValue.objects.filter(is_current=True).values_list("key", "display"))


async def test_a_contact_then_a_complete_card_make_one_staff_card_and_a_reply_to_it(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    await sync_to_async(make_scenario)()
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    model = ScriptedModel(fake_openai)
    model.extractions = [tool({"name": "Анна", "budget": "50 тыс руб"})]
    fake_telegram.push_message(CHAT, "Анна, бюджет 50к, мой телефон +79123456789")
    await wait_messages(fake_telegram, CHAT, 3)  # thanks, answer, summary
    staff = await wait_messages(fake_telegram, STAFF_CHAT, 2)
    card, news = staff
    assert "+79123456789" in card.visible_text
    assert "50 000 RUB" in card.visible_text, "the card shows the complete lead card"
    assert news.visible_text == "Карточка лида заполнена."
    sent = fake_telegram.calls_of("sendMessage")[-1].params
    assert sent["reply_parameters"]["message_id"] == card.message_id


async def test_a_corrected_card_is_confirmed_again_and_staff_learn_what_changed(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    await sync_to_async(make_scenario)()
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    model = ScriptedModel(fake_openai)
    model.extractions = [tool({"name": "Анна", "budget": "50 тыс руб"})]
    fake_telegram.push_message(CHAT, "Анна, бюджет 50к", language_code="en")
    summary = (await wait_messages(fake_telegram, CHAT, 2))[1]
    fake_telegram.push_callback_query(CHAT, "card:ok", summary.message_id, language_code="en")
    await wait_messages(fake_telegram, CHAT, 4)  # thanks, and how satisfied they are
    fake_telegram.push_callback_query(CHAT, "card:fix", summary.message_id, language_code="en")
    await wait_messages(fake_telegram, CHAT, 5)
    model.extractions = [tool({"budget": "70 тыс руб"})]
    fake_telegram.push_message(CHAT, "Бюджет всё-таки 70к")
    new_summary = (await wait_messages(fake_telegram, CHAT, 7))[6]
    assert "Budget: 70 000 RUB" in new_summary.visible_text
    assert new_summary.reply_markup["inline_keyboard"][0][0]["callback_data"] == "card:ok"
    assert await sync_to_async(card_confirmed_at)(CHAT) is None
    news = (await wait_messages(fake_telegram, STAFF_CHAT, 2))[1]
    assert "Бюджет: 50 000 RUB → 70 000 RUB" in news.visible_text  # staff read the site language
    card = fake_telegram.sent_messages(STAFF_CHAT)[0]
    assert "70 000 RUB" in card.visible_text, "the staff card shows the new value"


async def test_i_am_interested_fills_the_service_field_of_the_card(
    running_bot, fake_telegram, fake_openai, services
):
    scenario = await sync_to_async(make_scenario)()
    await sync_to_async(add_service_field)(scenario)
    ScriptedModel(fake_openai)
    service = services[0]
    fake_telegram.push_callback_query(CHAT, f"interest:{service.pk}", 1, language_code="en")
    await wait_messages(fake_telegram, CHAT, 2)
    assert (await sync_to_async(current_card)())["service"] == str(service)
    press = await sync_to_async(
        lambda: Message.objects.get(content_type=Message.ContentType.CALLBACK)
    )()
    source = await sync_to_async(
        lambda: LeadFieldValue.objects.get(key="service").source_message_id
    )()
    assert source == press.pk


async def test_staff_news_is_never_repeated(running_bot, fake_telegram, bot_settings, services):
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    fake_telegram.push_contact(CHAT, "+79123456789", language_code="en")
    await wait_messages(fake_telegram, STAFF_CHAT, 1)
    fake_telegram.push_message(CHAT, "+79123456780", language_code="en")
    for service in services:
        fake_telegram.push_callback_query(CHAT, f"interest:{service.pk}", 1, language_code="en")
        fake_telegram.push_callback_query(CHAT, f"interest:{service.pk}", 1, language_code="en")
    fake_telegram.push_message(CHAT, "/help", language_code="en")
    await wait_messages(fake_telegram, CHAT, 7)
    staff = fake_telegram.sent_messages(STAFF_CHAT)
    assert [message.visible_text for message in staff[1:]] == [
        f"Интересуется: {service}" for service in services
    ]
    assert await sync_to_async(StaffNotice.objects.count)() == 3
