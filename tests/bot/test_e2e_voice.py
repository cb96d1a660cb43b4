"""End-to-end: voice notes and audio files are transcribed and answered like text, and answers
are read aloud on request, through the fake Bot API (getFile, the download, sendVoice) and the
fake OpenAI server's audio endpoints."""

import pytest
from asgiref.sync import sync_to_async
from prometheus_client import REGISTRY

from assistant.models import BotModels
from conversations.models import Message
from tests.bot.test_e2e_basics import wait_messages
from tests.bot.test_e2e_intake import break_the_first_delivery
from tests.bot.test_e2e_operators import PERSON, asked_and_taken, wait_topic
from tests.factories import LLMModelFactory
from tests.fakes.openai_server import SPOKEN, Fail, Reply, Transcript
from tests.fakes.telegram_files import VOICE_BYTES
from tests.running_bot import inbox_settled, renew_runtime

CHAT = 7301
HEARD = "How much is a consultation?"
ANSWER = "Hello from the fake model."


def last_question(fake_openai) -> str:
    """What the person said last, as the chat model was asked."""
    return fake_openai.completion_requests()[-1].body["messages"][-1]["content"]


@pytest.fixture
def transcriber(llm_model):
    """Tests list the models before `running_bot`: registered while the bot already reads the
    configuration, a model's write can meet the in-memory SQLite's table lock."""
    return LLMModelFactory(
        provider=llm_model.provider,
        model_id="fake-whisper",
        display_name="Whisper",
        capabilities=["transcription"],
    )


@pytest.fixture
def speaker(llm_model):
    return LLMModelFactory(
        provider=llm_model.provider,
        model_id="fake-tts",
        display_name="Speech",
        capabilities=["speech"],
    )


@pytest.fixture
def speaking_bot(telegram_bot, speaker):
    """The fake's bot reads every answer aloud, in the voice "nova"."""
    return BotModels.objects.create(bot=telegram_bot, speaks_answers=True, speech_voice="nova")


def user_messages():
    return list(Message.objects.filter(role="user").order_by("pk"))


def spoken_records():
    return list(Message.objects.filter(role="system", content_type="voice").order_by("pk"))


async def test_a_voice_note_is_transcribed_stored_and_answered_like_text(
    transcriber, running_bot, fake_telegram, fake_openai
):
    fake_openai.queue_audio(Transcript(HEARD))
    fake_telegram.push_voice(CHAT, duration=7, language_code="en")
    [answer] = await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    assert answer.visible_text == ANSWER
    assert last_question(fake_openai) == HEARD
    [request] = fake_openai.audio_requests()
    assert request.body["model"] == "fake-whisper"
    assert request.body["file"] == {"filename": "voice.ogg", "content": VOICE_BYTES}
    [message] = await sync_to_async(user_messages)()
    assert (message.content_type, message.text, message.transcribed) == ("voice", HEARD, True)
    assert message.media_seconds == 7
    assert message.media_file.startswith("fake-voice-")


async def test_an_audio_file_is_transcribed_after_its_caption(
    transcriber, running_bot, fake_telegram, fake_openai
):
    fake_openai.queue_audio(Transcript(HEARD))
    fake_telegram.push_audio(CHAT, caption="From my colleague:", language_code="en")
    await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    [request] = fake_openai.audio_requests()
    assert request.body["file"]["filename"] == "question.mp3"
    [message] = await sync_to_async(user_messages)()
    assert message.content_type == "audio"
    assert message.text == f"From my colleague:\n\n{HEARD}"


async def test_the_transcript_is_history_for_the_next_question(
    transcriber, running_bot, fake_telegram, fake_openai
):
    fake_openai.queue_audio(Transcript(HEARD))
    fake_telegram.push_voice(CHAT, language_code="en")
    await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    fake_telegram.push_message(CHAT, "And support?", language_code="en")
    await wait_messages(fake_telegram, CHAT, 2, timeout=15)
    said = [m["content"] for m in fake_openai.completion_requests()[-1].body["messages"]]
    assert said[-3:] == [HEARD, ANSWER, "And support?"]


@pytest.mark.parametrize(
    ("push", "note"),
    [
        ({"duration": 121}, "too long for me: I can listen to 120 seconds"),
        ({"file_size": 20_000_001}, "too big for me (20 MB at most)"),
    ],
)
async def test_a_voice_note_over_the_limits_gets_a_note_and_is_not_downloaded(
    transcriber, running_bot, fake_telegram, fake_openai, push, note
):
    fake_telegram.push_voice(CHAT, language_code="en", **push)
    [reply] = await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    assert note in reply.visible_text
    assert fake_telegram.downloads == []
    assert fake_openai.audio_requests() == []
    assert [m.content_type for m in await sync_to_async(user_messages)()] == ["voice"]


async def test_the_limit_note_is_in_the_persons_language(
    transcriber, running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_voice(CHAT, duration=500, language_code="ru")
    [reply] = await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    assert "120 секунд" in reply.visible_text


async def test_without_a_transcription_model_voice_gets_the_text_only_note(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_voice(CHAT, language_code="en")
    [reply] = await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    assert "only text" in reply.visible_text
    assert fake_telegram.downloads == []


async def test_a_failing_provider_gets_a_polite_note_keeps_the_message_and_is_counted(
    transcriber, running_bot, fake_telegram, fake_openai, bot_settings
):
    bot_settings.LLM_MAX_RETRIES = 1
    labels = {"model": "fake-whisper", "error": "InternalServerError"}
    before = REGISTRY.get_sample_value("consult_llm_errors_total", labels) or 0
    fake_openai.queue_audio(Fail(500), Fail(500))
    fake_telegram.push_voice(CHAT, language_code="en")
    [reply] = await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    assert "could not make out your voice message" in reply.visible_text
    assert len(fake_openai.audio_requests()) == 2
    assert fake_openai.completion_requests() == []
    [message] = await sync_to_async(user_messages)()
    assert (message.content_type, message.transcribed) == ("voice", False)
    assert REGISTRY.get_sample_value("consult_llm_errors_total", labels) == before + 2


async def test_a_voice_note_handled_again_is_not_transcribed_twice(
    transcriber, running_bot, fake_telegram, fake_openai, monkeypatch
):
    break_the_first_delivery(monkeypatch)
    fake_openai.queue_audio(Transcript(HEARD))
    fake_telegram.push_voice(CHAT, language_code="en")
    [answer] = await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    [inbound] = await inbox_settled()
    assert inbound.attempts == 2
    assert answer.visible_text == ANSWER
    assert len(fake_openai.audio_requests()) == 1
    assert len(fake_telegram.downloads) == 1
    assert len(fake_openai.completion_requests()) == 1


async def test_voice_on_sends_each_answer_also_as_a_voice_message(
    speaker, running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(CHAT, "/voice on", language_code="en")
    [confirmation] = await wait_messages(fake_telegram, CHAT, 1)
    assert "also send my answers as voice messages" in confirmation.visible_text
    fake_openai.queue(Reply("**Consultations** cost [3000](https://example.com/prices)."))
    fake_telegram.push_message(CHAT, "Price?", language_code="en")
    await fake_telegram.wait_for_async(lambda: fake_telegram.voices_sent(CHAT), 15, "a voice")
    [voice] = fake_telegram.voices_sent(CHAT)
    assert voice.content == SPOKEN
    assert fake_telegram.sent_messages(CHAT)[-1].visible_text.startswith("Consultations cost 3000")
    [request] = fake_openai.audio_requests("speech")
    assert request.body == {
        "model": "fake-tts",
        "voice": "alloy",
        "input": "Consultations cost 3000.",
        "response_format": "opus",
    }
    await inbox_settled()
    [spoken] = await sync_to_async(spoken_records)()
    assert (spoken.status, spoken.delivery, spoken.model_name) == (
        "complete",
        "delivered",
        "fake-tts",
    )


async def test_voice_off_keeps_answers_text_even_where_the_bot_speaks(
    speaking_bot, running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(CHAT, "Price?", language_code="en")
    await fake_telegram.wait_for_async(lambda: fake_telegram.voices_sent(CHAT), 15, "a voice")
    assert fake_openai.audio_requests("speech")[0].body["voice"] == "nova"
    fake_telegram.push_message(CHAT, "/voice off", language_code="en")
    fake_telegram.push_message(CHAT, "And support?", language_code="en")
    await wait_messages(fake_telegram, CHAT, 3, timeout=15)
    await inbox_settled()
    assert len(fake_telegram.voices_sent(CHAT)) == 1


async def test_failing_speech_still_delivers_the_text_answer_and_is_recorded(
    speaker, running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(CHAT, "/voice on", language_code="en")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_openai.queue_audio(Fail(400))
    fake_telegram.push_message(CHAT, "Price?", language_code="en")
    answer = (await wait_messages(fake_telegram, CHAT, 2, timeout=15))[1]
    assert answer.visible_text == ANSWER
    await inbox_settled()
    assert fake_telegram.voices_sent(CHAT) == []
    [spoken] = await sync_to_async(spoken_records)()
    assert (spoken.status, spoken.delivery) == ("failed", "undelivered")
    assert "HTTP 400" in spoken.error


async def test_voice_on_without_a_speech_model_says_answers_stay_text(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(CHAT, "/voice on", language_code="en")
    [reply] = await wait_messages(fake_telegram, CHAT, 1)
    assert "not available right now" in reply.visible_text


async def test_a_voice_telegram_will_not_hand_over_gets_a_polite_note(
    transcriber, running_bot, fake_telegram, fake_openai
):
    fake_telegram.fail_next("getFile", 400, "Bad Request: wrong file_id")
    fake_telegram.push_voice(CHAT, language_code="en")
    [reply] = await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    assert "could not make out your voice message" in reply.visible_text
    assert fake_openai.audio_requests() == []


async def test_a_voice_with_no_words_in_it_gets_a_polite_note(
    transcriber, running_bot, fake_telegram, fake_openai
):
    fake_openai.queue_audio(Transcript("  "))
    fake_telegram.push_voice(CHAT, language_code="en")
    [reply] = await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    assert "could not make out your voice message" in reply.visible_text
    assert fake_openai.completion_requests() == []


async def test_a_voice_over_the_flood_limit_is_not_transcribed(
    transcriber, running_bot, fake_telegram, fake_openai, bot_settings
):
    bot_settings.ASSISTANT_RATE_LIMIT_CALLS = 1
    renew_runtime(running_bot)
    fake_telegram.push_message(CHAT, "Price?", language_code="en")
    await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    fake_telegram.push_voice(CHAT, language_code="en")
    slow_down = (await wait_messages(fake_telegram, CHAT, 2, timeout=15))[1]
    assert "faster than I can answer" in slow_down.visible_text
    assert fake_openai.audio_requests() == []
    assert fake_telegram.downloads == []


async def test_a_voice_in_a_group_is_other_peoples_traffic(
    transcriber, running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_voice(-7301, chat_type="group", language_code="en")
    await inbox_settled()
    assert fake_telegram.sent_messages(-7301) == []
    assert fake_openai.audio_requests() == []


async def test_an_answer_too_long_to_speak_stays_text(
    speaker, running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(CHAT, "/voice on", language_code="en")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_openai.queue(Reply("word " * 1000))
    fake_telegram.push_message(CHAT, "Tell me everything", language_code="en")
    await wait_messages(fake_telegram, CHAT, 3, timeout=15)
    await inbox_settled()
    assert fake_openai.audio_requests("speech") == []


async def test_voice_alone_says_how_answers_come(speaker, running_bot, fake_telegram, fake_openai):
    fake_telegram.push_message(CHAT, "/voice", language_code="en")
    [reply] = await wait_messages(fake_telegram, CHAT, 1)
    assert "My answers come as text" in reply.visible_text


async def test_while_an_operator_talks_the_transcript_goes_to_the_operator_only(
    transcriber, running_bot, fake_telegram, fake_openai, staff_forum
):
    await asked_and_taken(fake_telegram)
    fake_openai.queue_audio(Transcript(HEARD))
    fake_telegram.push_voice(PERSON, language_code="en")
    _topic, posted = await wait_topic(fake_telegram, 3)
    assert posted[2].visible_text == f"👤 {HEARD}"
    fake_telegram.push_voice(PERSON, duration=600, language_code="en")
    _topic, posted = await wait_topic(fake_telegram, 4)
    assert posted[3].visible_text == "👤 (not text)"
    assert len(fake_telegram.sent_messages(PERSON)) == 2
    assert fake_openai.completion_requests() == []
