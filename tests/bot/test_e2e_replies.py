"""End-to-end: streamed LLM answers, long and badly formatted answers, provider faults."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Message
from tests.bot.test_e2e_basics import wait_messages
from tests.factories import LLMModelFactory
from tests.fakes.openai_server import BrokenStream, Fail, Reply, Stall

CHAT = 7001
GROUP = -7002


def assistant_messages():
    return list(
        Message.objects.filter(role="assistant").values(
            "text", "status", "model_name", "prompt_tokens", "completion_tokens", "error"
        )
    )


async def test_the_answer_streams_as_drafts_then_arrives_as_one_message(
    running_bot, fake_telegram, fake_openai
):
    fake_openai.queue(
        Reply(text="Консультация стоит 3000 рублей.", chunk_size=4, delay_between_chunks=0.02)
    )
    fake_telegram.push_message(CHAT, "Сколько стоит консультация?")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text == "Консультация стоит 3000 рублей."
    drafts = fake_telegram.drafts(CHAT)
    assert drafts, "the person should see the answer growing"
    assert drafts[0].at <= final.at
    assert len({draft.draft_id for draft in drafts}) == 1
    stored = await sync_to_async(assistant_messages)()
    assert stored[0]["status"] == "complete"
    assert stored[0]["model_name"] == "fake-model"
    assert stored[0]["completion_tokens"] > 0


async def test_an_answer_complete_at_once_is_sent_without_a_text_draft(
    running_bot, fake_telegram, fake_openai
):
    fake_openai.queue(Reply(text="Коротко: да.", chunk_size=100))
    fake_telegram.push_message(CHAT, "Можно?")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text == "Коротко: да."
    assert [draft.text for draft in fake_telegram.drafts(CHAT)] in ([], [""])


async def test_a_sign_of_life_shows_at_once_and_stays_until_the_first_words(
    running_bot, fake_telegram, fake_openai, monkeypatch
):
    monkeypatch.setattr("bot.streaming.THINKING_DRAFT_REFRESH", 0.05)
    words_may_come = threading.Event()
    fake_openai.queue(Reply(text="Подумал и отвечаю.", held_until=words_may_come))
    fake_telegram.push_message(CHAT, "Сложный вопрос")
    await fake_telegram.wait_for_async(lambda: len(fake_telegram.drafts(CHAT)) >= 3)
    assert fake_telegram.sent_messages(CHAT) == []
    assert {draft.text for draft in fake_telegram.drafts(CHAT)} == {""}
    words_may_come.set()
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    thinking = len([d for d in fake_telegram.drafts(CHAT) if d.text == "" and d.at < final.at])
    await asyncio.sleep(0.2)
    assert len([d for d in fake_telegram.drafts(CHAT) if d.text == ""]) == thinking


async def test_a_group_sees_the_typing_action_while_the_model_thinks(
    running_bot, fake_telegram, fake_openai, monkeypatch
):
    monkeypatch.setattr("bot.streaming.TYPING_REFRESH", 0.05)
    words_may_come = threading.Event()
    fake_openai.queue(Reply(text="Ответ группе.", held_until=words_may_come))
    fake_telegram.push_message(GROUP, "@fake_test_bot вопрос", chat_type="group")
    await fake_telegram.wait_for_async(lambda: len(fake_telegram.calls_of("sendChatAction")) >= 2)
    actions = fake_telegram.calls_of("sendChatAction")
    assert {(call.params["chat_id"], call.params["action"]) for call in actions} == {
        (GROUP, "typing")
    }
    words_may_come.set()
    await wait_messages(fake_telegram, GROUP, 1)


async def test_a_finished_part_of_a_long_answer_arrives_while_the_rest_streams(
    running_bot, fake_telegram, fake_openai
):
    rest_may_come = threading.Event()
    paragraphs = [f"Абзац {number}. " + "подробности " * 60 for number in range(12)]
    fake_openai.queue(
        Reply(
            text="\n\n".join(paragraphs),
            chunk_size=1000,
            held_until=rest_may_come,
            pieces_before_hold=6,
        )
    )
    fake_telegram.push_message(CHAT, "Расскажите подробно")
    first = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert first.visible_text.startswith("Абзац 0.")
    assert len(fake_telegram.sent_messages(CHAT)) == 1
    rest_may_come.set()
    await fake_telegram.wait_for_async(
        lambda: "Абзац 11." in fake_telegram.sent_messages(CHAT)[-1].visible_text
    )
    shown = " ".join(m.visible_text for m in fake_telegram.sent_messages(CHAT))
    assert shown.split() == " ".join(paragraphs).split()
    reply = await sync_to_async(Message.objects.get)(role="assistant")
    while reply.delivery == Message.Delivery.PENDING:
        await asyncio.sleep(0.01)
        reply = await sync_to_async(Message.objects.get)(role="assistant")
    assert [part["message_id"] for part in reply.delivery_parts] == [
        message.message_id for message in fake_telegram.sent_messages(CHAT)
    ]


async def test_the_model_gets_prompts_catalog_and_history(
    running_bot, fake_telegram, fake_openai, services
):
    fake_telegram.push_message(CHAT, "Привет")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_message(CHAT, "Какие есть услуги?")
    await wait_messages(fake_telegram, CHAT, 2)
    messages = fake_openai.completion_requests()[-1].body["messages"]
    system = messages[0]["content"]
    assert "Ты вежливый консультант." in system
    assert "Оплата картой." in system
    assert "Консультация: 3 000 RUB" in system
    assert "Сопровождение: цена по запросу" in system or "price on request" in system
    assert [m["role"] for m in messages[2:]] == ["user", "assistant", "user"]
    assert messages[-1]["content"] == "Какие есть услуги?"


async def test_a_long_answer_is_split_into_several_messages(
    running_bot, fake_telegram, fake_openai
):
    paragraph = "Очень подробный ответ. " * 40
    fake_openai.queue(Reply(text="\n\n".join([paragraph] * 12), chunk_size=500))
    fake_telegram.push_message(CHAT, "Расскажите всё")
    await fake_telegram.wait_for_async(
        lambda: sum(len(m.visible_text) for m in fake_telegram.sent_messages(CHAT)) > 10000
    )
    parts = fake_telegram.sent_messages(CHAT)
    assert len(parts) >= 3
    assert all(len(part.text) <= 4096 for part in parts)


async def test_broken_markdown_never_breaks_delivery(running_bot, fake_telegram, fake_openai):
    fake_openai.queue(Reply(text="**Важно: a < b && c > d, `код без конца и _курсив"))
    fake_telegram.push_message(CHAT, "Формат?")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert "a < b && c > d" in final.visible_text


async def test_markdown_is_shown_as_telegram_formatting(running_bot, fake_telegram, fake_openai):
    fake_openai.queue(Reply(text="**Цена:** 3000 ₽"))
    fake_telegram.push_message(CHAT, "Цена?")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.parse_mode == "HTML"
    assert "<b>Цена:</b>" in final.text


async def test_html_rejected_by_telegram_falls_back_to_plain_text(
    running_bot, fake_telegram, fake_openai
):
    fake_openai.queue(Reply(text="**Ответ** готов"))
    fake_telegram.fail_next(
        "sendMessage", error_code=400, description="Bad Request: can't parse entities"
    )
    fake_telegram.push_message(CHAT, "Вопрос")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.parse_mode is None
    assert final.text == "Ответ готов"


@pytest.mark.parametrize(
    "fault",
    [
        Fail(status=500),
        Fail(status=429, retry_after=0.2),
        BrokenStream(),
        Reply(text=""),
        Reply(text=" \n "),
        Reply(text="Our first", finish_reason=None),
        Reply(text="Our first", finish_reason="length"),
    ],
    ids=[
        "server-error",
        "rate-limited",
        "broken-stream",
        "empty-answer",
        "blank-answer",
        "no-finish-reason",
        "token-limit",
    ],
)
async def test_a_passing_provider_fault_is_retried_and_the_person_gets_the_answer(
    running_bot, fake_telegram, fake_openai, fault
):
    fake_openai.queue(fault, Reply(text="Ответ после сбоя."))
    fake_telegram.push_message(CHAT, "Вопрос")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text == "Ответ после сбоя."
    assert len(fake_openai.completion_requests()) == 2


async def test_retry_after_from_the_provider_is_honoured(running_bot, fake_telegram, fake_openai):
    fake_openai.queue(Fail(status=429, retry_after=1), Reply(text="Готово."))
    fake_telegram.push_message(CHAT, "Вопрос")
    await wait_messages(fake_telegram, CHAT, 1)
    first, second = fake_openai.completion_requests()
    assert second.at - first.at >= 1.0


async def test_a_provider_timeout_is_explicit_and_retried(
    running_bot, fake_telegram, fake_openai, llm_model
):
    llm_model.provider.timeout_seconds = 0.5
    await sync_to_async(llm_model.provider.save)()
    fake_openai.queue(Stall(seconds=3), Reply(text="Успели."))
    fake_telegram.push_message(CHAT, "Вопрос")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text == "Успели."


async def test_when_the_model_keeps_failing_the_fallback_model_answers(
    running_bot, fake_telegram, fake_openai, bot_settings, llm_model
):
    await sync_to_async(LLMModelFactory)(
        provider=llm_model.provider, model_id="backup-model", display_name="Backup"
    )
    bot_settings.LLM_FALLBACK_MODEL = "backup-model"
    bot_settings.LLM_MAX_RETRIES = 1
    fake_openai.queue(Fail(status=500), Fail(status=500), Reply(text="Запасная модель."))
    fake_telegram.push_message(CHAT, "Вопрос")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text == "Запасная модель."
    models = [request.body["model"] for request in fake_openai.completion_requests()]
    assert models == ["fake-model", "fake-model", "backup-model"]


async def test_when_everything_fails_the_person_gets_an_apology_and_the_failure_is_kept(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    bot_settings.LLM_MAX_RETRIES = 1
    fake_openai.default = Fail(status=503)
    fake_telegram.push_message(CHAT, "Вопрос", language_code="en")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text.startswith("Sorry, I cannot answer right now.")
    stored = (await sync_to_async(assistant_messages)())[0]
    assert stored["status"] == "failed"
    assert "HTTP 503" in stored["error"]
    assert len(fake_openai.completion_requests()) == 2


async def test_a_stream_broken_on_every_try_is_delivered_and_stored_as_partial(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    bot_settings.LLM_MAX_RETRIES = 0
    fake_openai.queue(BrokenStream(text_before="Начало ответа"))
    fake_telegram.push_message(CHAT, "Вопрос", language_code="en")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text.startswith("Начало ответа")
    assert "cut off" in final.visible_text
    stored = (await sync_to_async(assistant_messages)())[0]
    assert (stored["status"], stored["text"]) == ("partial", "Начало ответа")


@pytest.mark.parametrize("finish_reason", [None, "length"], ids=["no-finish-reason", "length"])
async def test_an_answer_cut_short_on_every_try_is_delivered_and_stored_as_partial(
    running_bot, fake_telegram, fake_openai, bot_settings, finish_reason
):
    bot_settings.LLM_MAX_RETRIES = 1
    fake_openai.default = Reply(text="Our first", finish_reason=finish_reason)
    fake_telegram.push_message(CHAT, "Question", language_code="en")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text.startswith("Our first\n\n(The answer was cut off.")
    stored = (await sync_to_async(assistant_messages)())[0]
    assert (stored["status"], stored["text"]) == ("partial", "Our first")
    assert "answer cut short" in stored["error"]
    assert len(fake_openai.completion_requests()) == 2


async def test_a_blank_answer_from_every_model_gets_an_apology_and_is_stored_as_failed(
    running_bot, fake_telegram, fake_openai, bot_settings, llm_model
):
    await sync_to_async(LLMModelFactory)(
        provider=llm_model.provider, model_id="backup-model", display_name="Backup"
    )
    bot_settings.LLM_FALLBACK_MODEL = "backup-model"
    bot_settings.LLM_MAX_RETRIES = 1
    fake_openai.default = Reply(text=" \n\t ")
    fake_telegram.push_message(CHAT, "Question", language_code="en")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text.startswith("Sorry, I cannot answer right now.")
    stored = (await sync_to_async(assistant_messages)())[0]
    assert (stored["status"], stored["error"]) == ("failed", "empty answer")
    models = [request.body["model"] for request in fake_openai.completion_requests()]
    assert models == ["fake-model", "fake-model", "backup-model", "backup-model"]


async def test_a_bad_api_key_is_not_retried(running_bot, fake_telegram, fake_openai):
    fake_openai.default = Fail(status=401, message="Incorrect API key")
    fake_telegram.push_message(CHAT, "Вопрос")
    await wait_messages(fake_telegram, CHAT, 1)
    assert len(fake_openai.completion_requests()) == 1


async def test_the_whole_retry_sequence_respects_the_total_deadline(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    bot_settings.LLM_TOTAL_DEADLINE = 1
    bot_settings.LLM_MAX_RETRIES = 5
    fake_openai.default = Fail(status=429, retry_after=5)
    fake_telegram.push_message(CHAT, "Вопрос", language_code="en")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text.startswith("Sorry")
    assert len(fake_openai.completion_requests()) == 1  # no waiting out the 5 s Retry-After
