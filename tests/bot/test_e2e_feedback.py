"""End-to-end: 👍/👎 under answers and the satisfaction survey, through the fake Bot API.

A press is kept with the answer's model and prompt versions and the buttons become a
thank-you; a 👎 asks once what was wrong and keeps the next text as the comment; the survey is
asked once per conversation, after the lead card is confirmed or when the conversation went
idle (the bot process's look, run here with a fake clock).
"""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from bot.operator_desk import OperatorDesk
from bot.registry import BotApplications
from conversations.models import AnswerRating, Conversation, ConversationSurvey, Message, Prompt
from conversations.services import handoff_request
from tests.bot.test_e2e_basics import contact_for, wait_messages
from tests.discovery.test_e2e_discovery import ScriptedModel, make_scenario, tool, until
from tests.fakes.openai_server import Fail, Reply

CHAT = 8101
OTHER = 8102
GROUP = -8103


def callbacks(message) -> list[str]:
    markup = message.reply_markup or {"inline_keyboard": []}
    return [button["callback_data"] for row in markup["inline_keyboard"] for button in row]


def labels(message) -> list[str]:
    markup = message.reply_markup or {"inline_keyboard": []}
    return [button["text"] for row in markup["inline_keyboard"] for button in row]


def current(fake_telegram, message):
    """The message as the person sees it now (its buttons may have changed)."""
    return next(
        sent
        for sent in fake_telegram.sent_messages(message.chat_id)
        if sent.message_id == message.message_id
    )


def ratings() -> list[AnswerRating]:
    return list(AnswerRating.objects.order_by("pk"))


def latest_history_ids(language: str) -> dict[str, int]:
    return {
        prompt.key: prompt.history.latest().history_id
        for prompt in Prompt.objects.filter(language=language)
    }


async def an_answer(fake_telegram, fake_openai, text="Консультация стоит 3000 рублей."):
    fake_openai.queue(Reply(text=text))
    fake_telegram.push_message(CHAT, "Сколько стоит консультация?", language_code="en")
    return (await wait_messages(fake_telegram, CHAT, 1))[-1]


async def press(fake_telegram, message, data: str, chat_id: int = CHAT):
    """Press a button and wait until that press has been handled."""
    pressed_before = await sync_to_async(pressed_count)()
    fake_telegram.push_callback_query(chat_id, data, message.message_id, language_code="en")
    await until(lambda: pressed_count() > pressed_before)
    await fake_telegram.wait_for_async(
        lambda: len(fake_telegram.calls_of("answerCallbackQuery")) > pressed_before, 5, "ack"
    )


def pressed_count() -> int:
    return Message.objects.filter(content_type=Message.ContentType.CALLBACK).count()


async def test_an_answer_carries_thumbs_and_a_thumbs_up_is_kept_with_its_model_and_prompts(
    running_bot, fake_telegram, fake_openai
):
    answer = await an_answer(fake_telegram, fake_openai)
    reply = await Message.objects.aget(role=Message.Role.ASSISTANT)
    assert labels(answer) == ["👍", "👎"]
    assert callbacks(answer) == [f"rate:{reply.pk}:up", f"rate:{reply.pk}:down"]

    await press(fake_telegram, answer, f"rate:{reply.pk}:up")

    await until(lambda: AnswerRating.objects.exists())
    rating = (await sync_to_async(ratings)())[0]
    assert (rating.value, rating.model_name) == ("up", "fake-model")
    assert rating.prompt_versions == await sync_to_async(latest_history_ids)("en")
    assert rating.prompt_versions == reply.prompt_versions
    await fake_telegram.wait_for_async(
        lambda: labels(current(fake_telegram, answer)) == ["👍 Thank you for the rating"],
        5,
        "the thank-you in place of the buttons",
    )
    assert len(fake_telegram.sent_messages(CHAT)) == 1  # no note for a 👍


async def test_a_thumbs_down_asks_what_was_wrong_and_keeps_the_next_text_as_the_comment(
    running_bot, fake_telegram, fake_openai
):
    answer = await an_answer(fake_telegram, fake_openai)
    reply = await Message.objects.aget(role=Message.Role.ASSISTANT)

    await press(fake_telegram, answer, f"rate:{reply.pk}:down")
    question = (await wait_messages(fake_telegram, CHAT, 2))[1]
    assert question.visible_text == (
        "Sorry the answer did not help. What was wrong? (optional, just write it)"
    )
    assert labels(question) == ["Skip"]
    fake_telegram.push_message(CHAT, "The price is wrong", language_code="en")

    thanks = (await wait_messages(fake_telegram, CHAT, 3))[2]
    assert thanks.visible_text == "Thank you! This helps us answer better."
    rating = (await sync_to_async(ratings)())[0]
    assert (rating.value, rating.comment, rating.awaiting_comment) == (
        "down",
        "The price is wrong",
        False,
    )
    assert len(fake_openai.requests) == 1  # the comment is not answered by the model
    fake_openai.queue(Reply(text="Next answer."))
    fake_telegram.push_message(CHAT, "And the support?", language_code="en")
    assert (await wait_messages(fake_telegram, CHAT, 4))[3].visible_text == "Next answer."


async def test_the_comment_can_be_skipped_and_the_next_text_is_answered(
    running_bot, fake_telegram, fake_openai
):
    answer = await an_answer(fake_telegram, fake_openai)
    reply = await Message.objects.aget(role=Message.Role.ASSISTANT)
    await press(fake_telegram, answer, f"rate:{reply.pk}:down")
    question = (await wait_messages(fake_telegram, CHAT, 2))[1]

    await press(fake_telegram, question, f"rate:{reply.pk}:skip")
    await fake_telegram.wait_for_async(
        lambda: current(fake_telegram, question).reply_markup is None, 5, "Skip taken away"
    )
    fake_openai.queue(Reply(text="About the support."))
    fake_telegram.push_message(CHAT, "And the support?", language_code="en")

    assert (await wait_messages(fake_telegram, CHAT, 3))[2].visible_text == "About the support."
    rating = (await sync_to_async(ratings)())[0]
    assert (rating.comment, rating.awaiting_comment) == ("", False)


async def test_a_second_skip_changes_nothing(running_bot, fake_telegram, fake_openai, caplog):
    answer = await an_answer(fake_telegram, fake_openai)
    reply = await Message.objects.aget(role=Message.Role.ASSISTANT)
    await press(fake_telegram, answer, f"rate:{reply.pk}:down")
    question = (await wait_messages(fake_telegram, CHAT, 2))[1]

    await press(fake_telegram, question, f"rate:{reply.pk}:skip")
    await press(fake_telegram, question, f"rate:{reply.pk}:skip")

    await fake_telegram.wait_for_async(
        lambda: "Could not replace the buttons of a message" in caplog.text,
        5,
        "the second Skip found nothing to take away",
    )
    assert len(fake_telegram.sent_messages(CHAT)) == 2
    assert [rating.value for rating in await sync_to_async(ratings)()] == ["down"]


async def test_pressing_twice_keeps_the_first_rating_and_asks_once(
    running_bot, fake_telegram, fake_openai
):
    answer = await an_answer(fake_telegram, fake_openai)
    reply = await Message.objects.aget(role=Message.Role.ASSISTANT)

    await press(fake_telegram, answer, f"rate:{reply.pk}:down")
    await press(fake_telegram, answer, f"rate:{reply.pk}:down")
    await press(fake_telegram, answer, f"rate:{reply.pk}:up")

    assert [rating.value for rating in await sync_to_async(ratings)()] == ["down"]
    assert len(fake_telegram.sent_messages(CHAT)) == 2  # the answer and one question


async def test_a_press_on_someone_else_s_answer_rates_nothing(
    running_bot, fake_telegram, fake_openai
):
    answer = await an_answer(fake_telegram, fake_openai)
    reply = await Message.objects.aget(role=Message.Role.ASSISTANT)

    await press(fake_telegram, answer, f"rate:{reply.pk}:up", chat_id=OTHER)

    stale = (await wait_messages(fake_telegram, OTHER, 1))[0]
    assert stale.visible_text == "This button is no longer active."
    assert await AnswerRating.objects.acount() == 0


async def test_answers_in_a_group_carry_no_thumbs(running_bot, fake_telegram, fake_openai):
    fake_openai.queue(Reply(text="Ответ группе."))
    fake_telegram.push_message(GROUP, "@fake_test_bot вопрос", chat_type="group")
    assert (await wait_messages(fake_telegram, GROUP, 1))[0].reply_markup is None


async def test_an_apology_for_no_answer_carries_no_thumbs(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    bot_settings.LLM_MAX_RETRIES = 0
    fake_openai.default = Fail(status=503)
    fake_telegram.push_message(CHAT, "Вопрос", language_code="en")
    apology = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert apology.visible_text.startswith("Sorry, I cannot answer right now.")
    assert apology.reply_markup is None


async def test_a_long_answer_carries_the_thumbs_under_its_last_part_only(
    running_bot, fake_telegram, fake_openai
):
    paragraph = "Слово " * 300
    fake_openai.queue(Reply(text="\n\n".join([paragraph] * 4), chunk_size=400))
    fake_telegram.push_message(CHAT, "Расскажите подробно", language_code="en")
    await until(lambda: Message.objects.filter(role="assistant", delivery="delivered").exists())
    parts = fake_telegram.sent_messages(CHAT)
    assert len(parts) >= 2
    assert [labels(part) for part in parts] == [[]] * (len(parts) - 1) + [["👍", "👎"]]


# --- The satisfaction survey -----------------------------------------------------------------


async def confirmed_card(fake_telegram, fake_openai):
    """A person whose lead card became complete and who pressed *Yes, correct*."""
    await sync_to_async(make_scenario)()
    model = ScriptedModel(fake_openai)
    model.extractions = [tool({"name": "Анна", "budget": "50 тыс руб"})]
    fake_telegram.push_message(CHAT, "Меня зовут Анна, бюджет 50к", language_code="en")
    summary = (await wait_messages(fake_telegram, CHAT, 2))[1]
    fake_telegram.push_callback_query(CHAT, "card:ok", summary.message_id, language_code="en")
    return summary


async def test_after_the_card_is_confirmed_the_person_is_asked_once_how_satisfied_they_are(
    running_bot, fake_telegram, fake_openai
):
    summary = await confirmed_card(fake_telegram, fake_openai)
    thanks, question = (await wait_messages(fake_telegram, CHAT, 4))[2:]
    assert thanks.visible_text == "Thank you! We will contact you soon."
    assert question.visible_text == (
        "How satisfied are you with this conversation? 1 is very poor, 5 is excellent."
    )
    assert labels(question) == ["1", "2", "3", "4", "5", "Skip"]
    survey = await ConversationSurvey.objects.aget()
    assert survey.trigger == ConversationSurvey.Trigger.CONFIRMED

    await press(fake_telegram, question, f"csat:{survey.pk}:4")
    await press(fake_telegram, question, f"csat:{survey.pk}:5")  # pressed again: the first counts
    fake_telegram.push_callback_query(CHAT, "card:ok", summary.message_id, language_code="en")
    await wait_messages(fake_telegram, CHAT, 5)

    survey = await ConversationSurvey.objects.aget()
    assert (survey.score, survey.skipped) == (4, False)
    assert labels(current(fake_telegram, question)) == ["4 of 5 · Thank you!"]
    await until(lambda: not Message.objects.filter(delivery="pending").exists())
    assert len(fake_telegram.sent_messages(CHAT)) == 5  # no second question
    assert await ConversationSurvey.objects.acount() == 1


async def test_no_survey_after_the_card_is_confirmed_while_operators_have_the_lead(
    running_bot, fake_telegram, fake_openai
):
    await confirmed_card(fake_telegram, fake_openai)
    await wait_messages(fake_telegram, CHAT, 4)
    assert await ConversationSurvey.objects.acount() == 1
    await ConversationSurvey.objects.all().adelete()
    contact = await sync_to_async(contact_for)(CHAT)
    await sync_to_async(handoff_request)(contact_id=contact.pk, reason="person")
    summary = fake_telegram.sent_messages(CHAT)[1]

    fake_telegram.push_callback_query(CHAT, "card:ok", summary.message_id, language_code="en")

    thanks = (await wait_messages(fake_telegram, CHAT, 5))[4]
    assert thanks.visible_text == "Thank you! We will contact you soon."
    await until(lambda: Message.objects.filter(role="system", delivery="pending").count() == 0)
    assert await ConversationSurvey.objects.acount() == 0


@pytest.fixture
async def served(fake_telegram, bot_settings, telegram_bot):
    """The bots a process serves, without its loops: the test runs the survey's look."""
    bots = BotApplications(api_base_url=fake_telegram.base_url, drain_seconds=5)
    await bots.refresh()
    yield bots
    await bots.close()


def hours_later(hours: float):
    moment = timezone.now() + timedelta(hours=hours)
    return lambda: moment


async def answered_once(fake_telegram, fake_openai, chat_id=CHAT, text="Вопрос", **options):
    fake_openai.queue(Reply(text="Ответ."))
    fake_telegram.push_message(chat_id, text, language_code="en", **options)
    await wait_messages(fake_telegram, chat_id, 1)
    await until(
        lambda: Message.objects.filter(role="assistant", delivery="delivered").count()
        == Message.objects.filter(role="assistant").count()
    )


async def test_a_conversation_gone_idle_is_asked_about_once_even_by_two_processes(
    running_bot, fake_telegram, fake_openai, served, bot_settings
):
    bot_settings.CONVERSATION_IDLE_HOURS = 24
    await answered_once(fake_telegram, fake_openai)

    await OperatorDesk(served, clock=hours_later(23)).ask_surveys()
    assert len(fake_telegram.sent_messages(CHAT)) == 1  # not idle long enough yet
    later = hours_later(25)
    await asyncio.gather(*(OperatorDesk(served, clock=later).ask_surveys() for _ in range(2)))

    question = (await wait_messages(fake_telegram, CHAT, 2))[1]
    assert question.visible_text.startswith("How satisfied are you")
    survey = await ConversationSurvey.objects.aget()
    assert survey.trigger == ConversationSurvey.Trigger.IDLE
    await OperatorDesk(served, clock=later).ask_surveys()
    assert len(fake_telegram.sent_messages(CHAT)) == 2
    stored = await Message.objects.filter(role="system").alast()
    assert (stored.text, stored.delivery) == (question.visible_text, "delivered")

    await press(fake_telegram, question, f"csat:{survey.pk}:skip")
    await fake_telegram.wait_for_async(
        lambda: current(fake_telegram, question).reply_markup is None, 5, "buttons taken away"
    )
    survey = await ConversationSurvey.objects.aget()
    assert (survey.score, survey.skipped, survey.answered_at is not None) == (None, True, True)


async def test_no_survey_while_operators_have_the_lead_nor_long_after_nor_in_a_group(
    running_bot, fake_telegram, fake_openai, served, bot_settings
):
    bot_settings.CONVERSATION_IDLE_HOURS = 24
    await answered_once(fake_telegram, fake_openai)
    await answered_once(
        fake_telegram, fake_openai, chat_id=GROUP, text="@fake_test_bot вопрос", chat_type="group"
    )
    contact = await sync_to_async(contact_for)(CHAT)
    await sync_to_async(handoff_request)(contact_id=contact.pk, reason="person")

    await OperatorDesk(served, clock=hours_later(25)).ask_surveys()
    await OperatorDesk(served, clock=hours_later(24 + 25)).ask_surveys()

    assert await ConversationSurvey.objects.acount() == 0
    assert await Conversation.objects.acount() == 2


async def test_a_conversation_idle_for_more_than_a_day_past_the_timeout_is_not_asked_about(
    running_bot, fake_telegram, fake_openai, served, bot_settings
):
    bot_settings.CONVERSATION_IDLE_HOURS = 24
    await answered_once(fake_telegram, fake_openai)

    await OperatorDesk(served, clock=hours_later(24 + 25)).ask_surveys()

    assert await ConversationSurvey.objects.acount() == 0
