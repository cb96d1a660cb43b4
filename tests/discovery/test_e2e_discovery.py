"""End-to-end need discovery: the bot fills in the lead card through the fake LLM's tool calls."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Contact
from discovery.models import (
    ExtractionRun,
    LeadDiscovery,
    LeadFieldValue,
    Scenario,
    ScenarioField,
)
from tests.bot.test_e2e_basics import contact_for, wait_messages
from tests.fakes.openai_server import Fail, Reply, ToolCall
from tests.running_bot import renew_runtime

CHAT = 7501
STAFF_CHAT = -100900


def card_confirmed_at(chat_id):
    """When the person in `chat_id` confirmed their card's summary; None if they have not."""
    confirmed = LeadDiscovery.objects.filter(contact=contact_for(chat_id))
    return confirmed.values_list("card_confirmed_at", flat=True).first()


def make_scenario(slug="consultation", applies_to="default", **options):
    scenario = Scenario.objects.create(
        name=slug,
        slug=slug,
        applies_to=applies_to,
        guidance={"ru": "Выясняйте по одному вопросу.", "en": "Ask one thing at a time."},
        **options,
    )
    fields = [
        ("name", "text", {"ru": "Имя", "en": "Name"}, True, ""),
        ("budget", "money", {"ru": "Бюджет", "en": "Budget"}, True, ""),
        ("date", "date", {"ru": "Желаемая дата", "en": "Desired date"}, False, ""),
        ("time", "choice", {"ru": "Время звонка", "en": "Call time"}, False, "утро\nвечер"),
    ]
    for position, (key, kind, labels, required, choices) in enumerate(fields):
        ScenarioField.objects.create(
            scenario=scenario,
            key=key,
            field_type=kind,
            labels=labels,
            hints={"en": f"ask about {key}"},
            required=required,
            choices=choices,
            position=position,
        )
    return scenario


@pytest.fixture
def scenario(transactional_db):
    return make_scenario()


class ScriptedModel:
    """The fake LLM: replies to the person, and answers extraction calls from a script."""

    def __init__(self, fake_openai):
        self.extractions = []
        self.reply_requests = []
        fake_openai.default = self

    def __call__(self, body):
        if "tool_choice" in body or "fill in a lead card" in body["messages"][0]["content"]:
            return self.extractions.pop(0) if self.extractions else ToolCall(TOOL, "{}")
        self.reply_requests.append(body)
        return Reply(text="Ответ консультанта.")


TOOL = "record_lead_fields"


def tool(values=None, declined=()):
    return ToolCall(TOOL, json.dumps({"values": values or {}, "declined": list(declined)}))


async def until(predicate, timeout=5.0):
    """Wait for a database condition, polling from the async side without blocking the bot."""
    check = sync_to_async(predicate)
    for _attempt in range(int(timeout / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the database condition was not met in time")


def card():
    return dict(LeadFieldValue.objects.filter(is_current=True).values_list("key", "display"))


async def test_a_full_scenario_ends_qualified_with_a_summary_and_a_staff_card(
    running_bot, fake_telegram, fake_openai, scenario, bot_settings
):
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    model = ScriptedModel(fake_openai)
    model.extractions = [tool({"name": "Анна"}), tool({"budget": "50 тыс руб"})]
    fake_telegram.push_message(CHAT, "Меня зовут Анна", language_code="en")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_message(CHAT, "Бюджет 50к")
    answer, summary = (await wait_messages(fake_telegram, CHAT, 3))[1:]
    assert answer.visible_text == "Ответ консультанта."
    assert "Name: Анна" in summary.visible_text
    assert "Budget: 50 000 RUB" in summary.visible_text
    buttons = [row[0]["callback_data"] for row in summary.reply_markup["inline_keyboard"]]
    assert buttons == ["card:ok", "card:fix"]
    contact = await sync_to_async(contact_for)(CHAT)
    assert contact.status == Contact.Status.QUALIFIED and contact.qualified_at is not None
    staff = (await wait_messages(fake_telegram, STAFF_CHAT, 1))[0]
    assert "Анна" in staff.visible_text and "50 000 RUB" in staff.visible_text
    fake_telegram.push_callback_query(CHAT, "card:ok", summary.message_id, language_code="en")
    thanks = (await wait_messages(fake_telegram, CHAT, 4))[3]
    assert thanks.visible_text == "Thank you! We will contact you soon."
    assert await sync_to_async(card_confirmed_at)(CHAT) is not None


async def test_the_reply_is_steered_by_the_scenario_and_never_asks_for_known_fields(
    running_bot, fake_telegram, fake_openai, scenario
):
    model = ScriptedModel(fake_openai)
    model.extractions = [tool({"name": "Анна"})]
    fake_telegram.push_message(CHAT, "Меня зовут Анна", language_code="en")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_message(CHAT, "Сколько стоит?")
    await wait_messages(fake_telegram, CHAT, 2)
    system, data = [message["content"] for message in model.reply_requests[-1]["messages"][:2]]
    assert "Ask one thing at a time." in system
    assert "(never ask again): Name\n" in system
    assert '"lead card": {"Name": "Анна"}' in data
    missing = system.split("Still to find out")[1]
    assert "Budget" in missing and "Name" not in missing


async def test_a_correction_replaces_the_value_and_keeps_the_history(
    running_bot, fake_telegram, fake_openai, scenario
):
    model = ScriptedModel(fake_openai)
    model.extractions = [tool({"budget": "30000"}), tool({"budget": "50000 RUB"})]
    fake_telegram.push_message(CHAT, "Бюджет 30 тысяч")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_message(CHAT, "Вообще-то мой бюджет 50к")
    await wait_messages(fake_telegram, CHAT, 2)
    await until(lambda: ExtractionRun.objects.count() == 2)
    assert (await sync_to_async(card)())["budget"] == "50 000 RUB"
    history = await sync_to_async(
        lambda: list(LeadFieldValue.objects.order_by("id").values_list("display", "is_current"))
    )()
    assert history == [("30 000 RUB", False), ("50 000 RUB", True)]


async def test_a_refused_field_is_not_asked_again_and_blocks_qualification(
    running_bot, fake_telegram, fake_openai, scenario
):
    model = ScriptedModel(fake_openai)
    model.extractions = [tool({"name": "Анна"}, declined=["budget"])]
    fake_telegram.push_message(CHAT, "Я Анна, бюджет не скажу", language_code="en")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_message(CHAT, "Что дальше?")
    await wait_messages(fake_telegram, CHAT, 2)
    system = model.reply_requests[-1]["messages"][0]["content"]
    assert "Budget" not in system.split("Still to find out")[1]
    contact = await sync_to_async(contact_for)(CHAT)
    assert contact.status == Contact.Status.NEW
    refusal = await sync_to_async(LeadFieldValue.objects.get)(key="budget")
    assert refusal.value == {"declined": True}
    assert refusal.display == "отказ от ответа"  # staff read the card in the site language


@pytest.mark.parametrize(
    ("extraction", "status"),
    [
        (ToolCall(TOOL, "это не json"), "invalid"),
        (ToolCall(TOOL, '{"values": {"name": "Ан'), "invalid"),
        (ToolCall(TOOL, '["name", "Анна"]'), "invalid"),
        (Fail(status=500), "failed"),
    ],
    ids=["garbage", "truncated", "wrong-shape", "provider-error"],
)
async def test_broken_structured_output_never_breaks_the_reply_and_is_retried_next_time(
    running_bot, fake_telegram, fake_openai, scenario, extraction, status
):
    model = ScriptedModel(fake_openai)
    model.extractions = [extraction, tool({"name": "Анна"})]
    fake_telegram.push_message(CHAT, "Меня зовут Анна")
    answer = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert answer.visible_text == "Ответ консультанта."
    await until(lambda: ExtractionRun.objects.exists())
    run = await sync_to_async(ExtractionRun.objects.get)()
    assert run.status == status and run.error
    fake_telegram.push_message(CHAT, "Есть вопрос")
    await wait_messages(fake_telegram, CHAT, 2)
    await until(lambda: ExtractionRun.objects.count() == 2)
    assert (await sync_to_async(card)()) == {"name": "Анна"}


async def test_values_of_the_wrong_type_are_not_stored(
    running_bot, fake_telegram, fake_openai, scenario
):
    model = ScriptedModel(fake_openai)
    model.extractions = [tool({"name": "Анна", "budget": "много", "date": "вчера", "time": "ночь"})]
    fake_telegram.push_message(CHAT, "Анна, бюджет много, вчера, ночью")
    await wait_messages(fake_telegram, CHAT, 1)
    await until(lambda: ExtractionRun.objects.exists())
    assert (await sync_to_async(card)()) == {"name": "Анна"}
    run = await sync_to_async(ExtractionRun.objects.get)()
    assert run.values_saved == 1
    assert "budget" in run.error and "date" in run.error and "time" in run.error


async def test_extraction_cost_is_recorded_like_replies(
    running_bot, fake_telegram, fake_openai, scenario
):
    model = ScriptedModel(fake_openai)
    model.extractions = [ToolCall(TOOL, '{"values": {"name": "Анна"}}', usage=(120, 15))]
    fake_telegram.push_message(CHAT, "Я Анна")
    await wait_messages(fake_telegram, CHAT, 1)
    await until(lambda: ExtractionRun.objects.exists())
    run = await sync_to_async(ExtractionRun.objects.get)()
    assert (run.model_name, run.prompt_tokens, run.completion_tokens) == ("fake-model", 120, 15)


async def test_a_model_without_tool_calls_answers_in_json_that_is_parsed_strictly(
    running_bot, fake_telegram, fake_openai, scenario, llm_model
):
    llm_model.supports_tools = False
    await sync_to_async(llm_model.save)()
    model = ScriptedModel(fake_openai)
    model.extractions = [Reply(text='```json\n{"values": {"name": "Анна"}}\n```')]
    fake_telegram.push_message(CHAT, "Я Анна")
    await wait_messages(fake_telegram, CHAT, 1)
    await until(lambda: ExtractionRun.objects.exists())
    assert (await sync_to_async(card)()) == {"name": "Анна"}
    extraction = next(r for r in fake_openai.completion_requests() if "lead card" in str(r.body))
    assert "tools" not in extraction.body


async def test_the_scenario_is_chosen_by_deep_link_source(
    running_bot, fake_telegram, fake_openai, scenario
):
    await sync_to_async(_source_scenario)()
    model = ScriptedModel(fake_openai)
    fake_telegram.push_message(CHAT, "/start ads_vk")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_message(CHAT, "Вопрос")
    await wait_messages(fake_telegram, CHAT, 2)
    assert "Реклама ВК." in model.reply_requests[-1]["messages"][0]["content"]
    contact = await sync_to_async(contact_for)(CHAT)
    assert await sync_to_async(lambda: contact.discovery.scenario.slug)() == "ads"


def _source_scenario():
    scenario = make_scenario(slug="ads", applies_to="source", source="ads_vk")
    scenario.guidance = {"ru": "Реклама ВК.", "en": "VK ads."}
    scenario.save()


async def test_the_scenario_is_chosen_by_interest_in_a_service(
    running_bot, fake_telegram, fake_openai, scenario, services
):
    def service_scenario():
        chosen = make_scenario(slug="support", applies_to="service", service=services[1])
        chosen.guidance = {"ru": "Про сопровождение."}
        chosen.save()

    await sync_to_async(service_scenario)()
    model = ScriptedModel(fake_openai)
    fake_telegram.push_callback_query(CHAT, f"interest:{services[1].pk}", 1)
    await wait_messages(fake_telegram, CHAT, 3)
    fake_telegram.push_message(CHAT, "Расскажите подробнее")
    await fake_telegram.wait_for_async(lambda: model.reply_requests)
    assert "Про сопровождение." in model.reply_requests[-1]["messages"][0]["content"]


async def test_a_phone_shared_with_the_button_fills_the_phone_field_and_can_qualify(
    running_bot, fake_telegram, fake_openai, transactional_db
):
    def phone_scenario():
        scenario = Scenario.objects.create(name="p", slug="p", guidance={})
        ScenarioField.objects.create(
            scenario=scenario, key="phone", field_type="phone", labels={"en": "Phone"}
        )

    await sync_to_async(phone_scenario)()
    ScriptedModel(fake_openai)
    fake_telegram.push_contact(CHAT, "+79123456789", language_code="en")
    thanks, summary = await wait_messages(fake_telegram, CHAT, 2)
    assert "+79123456789" in thanks.visible_text
    assert "Phone: +79123456789" in summary.visible_text
    assert (await sync_to_async(contact_for)(CHAT)).status == Contact.Status.QUALIFIED


async def test_without_a_scenario_a_reachable_lead_is_qualified_as_before(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_contact(CHAT, "+79123456789")
    await wait_messages(fake_telegram, CHAT, 1)
    assert (await sync_to_async(contact_for)(CHAT)).status == Contact.Status.QUALIFIED
    assert await sync_to_async(ExtractionRun.objects.count)() == 0


async def test_fix_button_asks_what_to_correct(running_bot, fake_telegram, scenario):
    fake_telegram.push_callback_query(CHAT, "card:fix", 1, language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert reply.visible_text == "Please write what should be corrected."


async def test_a_flood_costs_neither_answers_nor_lead_card_calls(
    running_bot, fake_telegram, fake_openai, scenario, bot_settings
):
    bot_settings.ASSISTANT_RATE_LIMIT_CALLS = 1
    renew_runtime(running_bot)
    ScriptedModel(fake_openai)
    for number in range(3):
        fake_telegram.push_message(CHAT, f"сообщение {number}", language_code="en")
    await wait_messages(fake_telegram, CHAT, 2)
    await until(lambda: ExtractionRun.objects.exists())
    await asyncio.sleep(0.2)
    assert len(fake_openai.completion_requests()) == 2  # one answer, one card update
    texts = [message.visible_text for message in fake_telegram.sent_messages(CHAT)]
    assert texts[1].startswith("You are writing faster than I can answer.")
