"""End-to-end: each person reads the catalog in their language; staff read the site language.

Consultation has Russian and English texts; Support only Russian ones, so an English speaker
reads those in the site language (Russian) rather than nothing.
"""

import json

import pytest
from asgiref.sync import sync_to_async

from discovery.models import ExtractionRun, LeadFieldValue, Scenario, ScenarioField
from tests.bot.test_e2e_basics import wait_messages
from tests.discovery.test_e2e_discovery import ScriptedModel, tool, until
from tests.factories import ServiceFactory

CHAT = 8101
STAFF_CHAT = -100810


@pytest.fixture
def catalog(transactional_db, settings):
    settings.LANGUAGE_CODE = "ru"
    consultation = ServiceFactory(
        slug="consultation",
        price=3000,
        titles={"ru": "Консультация", "en": "Consultation"},
        short_descriptions={"ru": "Разбор вашей задачи.", "en": "A look at your task."},
        descriptions={"ru": "Час со специалистом.", "en": "An hour with a specialist."},
        durations={"ru": "60 минут", "en": "60 minutes"},
    )
    support = ServiceFactory(
        slug="support",
        price=None,
        titles={"ru": "Сопровождение"},
        short_descriptions={},
        descriptions={},
        durations={"ru": "от 1 месяца"},
    )
    return consultation, support


def buttons(message):
    return [row[0]["text"] for row in message.reply_markup["inline_keyboard"]]


async def test_an_english_speaker_gets_the_catalog_and_the_card_in_english(
    running_bot, fake_telegram, catalog
):
    consultation, _support = catalog
    fake_telegram.push_message(CHAT, "/services", language_code="en")
    menu = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert buttons(menu) == ["Consultation", "Сопровождение"]
    fake_telegram.push_callback_query(CHAT, f"service:{consultation.pk}", menu.message_id)
    card = (await wait_messages(fake_telegram, CHAT, 2))[1]
    assert card.visible_text == (
        "Consultation\nPrice: 3 000 RUB\nDuration: 60 minutes\n\nAn hour with a specialist."
    )


async def test_a_russian_speaker_still_gets_the_russian_catalog(
    running_bot, fake_telegram, catalog
):
    consultation, _support = catalog
    fake_telegram.push_message(CHAT, "/services", language_code="ru")
    menu = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert buttons(menu) == ["Консультация", "Сопровождение"]
    fake_telegram.push_callback_query(CHAT, f"service:{consultation.pk}", menu.message_id)
    card = (await wait_messages(fake_telegram, CHAT, 2))[1]
    assert "Длительность: 60 минут" in card.visible_text
    assert "Час со специалистом." in card.visible_text


async def test_the_model_gets_the_catalog_in_the_persons_language(
    running_bot, fake_telegram, fake_openai, catalog
):
    fake_telegram.push_message(CHAT, "What do you offer?", language_code="en")
    await wait_messages(fake_telegram, CHAT, 1)
    system = fake_openai.completion_requests()[-1].body["messages"][0]["content"]
    assert "- Consultation: 3 000 RUB; 60 minutes. A look at your task." in system
    assert "- Сопровождение: price on request; от 1 месяца" in system
    assert "Консультация" not in system


async def test_interest_is_confirmed_in_english_and_told_to_staff_in_russian(
    running_bot, fake_telegram, catalog, bot_settings
):
    consultation, _support = catalog
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    fake_telegram.push_contact(CHAT, "+79123456789", language_code="en")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_callback_query(CHAT, f"interest:{consultation.pk}", 1)
    thanks = (await wait_messages(fake_telegram, CHAT, 2))[1]
    assert "“Consultation”" in thanks.visible_text
    card, news = await wait_messages(fake_telegram, STAFF_CHAT, 2)
    assert "Интересуют: Консультация" in card.visible_text
    assert news.visible_text == "Интересуется: Консультация"


def service_scenario():
    scenario = Scenario.objects.create(name="s", slug="s", guidance={"en": "Ask."})
    for position, (key, kind, labels) in enumerate(
        [
            ("name", "text", {"ru": "Имя", "en": "Name"}),
            ("service", "service", {"ru": "Услуга", "en": "Service"}),
        ]
    ):
        ScenarioField.objects.create(
            scenario=scenario, key=key, field_type=kind, labels=labels, position=position
        )


@pytest.mark.parametrize("named_as", ["Consultation", "Консультация"])
async def test_the_lead_card_offers_and_shows_services_in_the_persons_language(
    running_bot, fake_telegram, fake_openai, catalog, bot_settings, named_as
):
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    await sync_to_async(service_scenario)()
    model = ScriptedModel(fake_openai)
    model.extractions = [tool({"name": "Anna", "service": named_as})]
    fake_telegram.push_message(CHAT, "I'm Anna, I need a consultation", language_code="en")
    summary = (await wait_messages(fake_telegram, CHAT, 2))[1]
    extraction = next(r for r in fake_openai.completion_requests() if "tool_choice" in r.body)
    described = json.dumps(extraction.body["tools"], ensure_ascii=False)
    assert "exactly one of: Consultation | Сопровождение" in described
    assert "Service: Consultation" in summary.visible_text
    staff = (await wait_messages(fake_telegram, STAFF_CHAT, 1))[0]
    assert "Услуга: Консультация" in staff.visible_text
    value = await sync_to_async(LeadFieldValue.objects.get)(key="service")
    assert value.value["id"] == catalog[0].pk


async def test_a_service_the_catalog_does_not_have_is_refused_in_any_language(
    running_bot, fake_telegram, fake_openai, catalog
):
    await sync_to_async(service_scenario)()
    model = ScriptedModel(fake_openai)
    model.extractions = [tool({"service": "Audit"})]
    fake_telegram.push_message(CHAT, "I need an audit", language_code="en")
    await wait_messages(fake_telegram, CHAT, 1)
    await until(lambda: ExtractionRun.objects.exists())
    run = await sync_to_async(ExtractionRun.objects.get)()
    assert "service" in run.error
    assert not await sync_to_async(LeadFieldValue.objects.exists)()
