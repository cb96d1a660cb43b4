"""The fakes' audio: voice files through getFile and the download, sendVoice uploads, and the
OpenAI server's transcriptions and speech, each driven by the real clients."""

import httpx
import openai
import pytest
from telegram import Bot
from telegram.error import BadRequest

from tests.fakes.openai_server import SPOKEN, Fail, Transcript
from tests.fakes.telegram_files import DOWNLOAD_LIMIT
from tests.fakes.telegram_server import TOKEN

CHAT = 4401


@pytest.fixture
async def bot(fake_telegram):
    root = fake_telegram.base_url
    async with Bot(TOKEN, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot") as bot:
        yield bot


@pytest.fixture
async def llm(fake_openai):
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield client
    await client.close()


async def test_a_pushed_voice_is_fetched_with_get_file_and_downloaded(bot, fake_telegram):
    fake_telegram.push_voice(CHAT, duration=3, content=b"OggS-voice")
    [update] = await bot.get_updates()
    voice = update.message.voice
    assert (voice.duration, voice.file_size) == (3, len(b"OggS-voice"))
    file = await bot.get_file(voice.file_id)
    assert bytes(await file.download_as_bytearray()) == b"OggS-voice"
    assert fake_telegram.downloads == [file.file_path.split("/file/bot", 1)[1].split("/", 1)[1]]


async def test_an_audio_file_carries_its_name_and_caption(bot, fake_telegram):
    fake_telegram.push_audio(CHAT, file_name="q.mp3", caption="listen")
    [update] = await bot.get_updates()
    assert (update.message.audio.file_name, update.message.caption) == ("q.mp3", "listen")


async def test_get_file_refuses_unknown_ids_and_files_over_the_download_limit(bot, fake_telegram):
    fake_telegram.push_voice(CHAT, file_size=DOWNLOAD_LIMIT + 1)
    [update] = await bot.get_updates()
    with pytest.raises(BadRequest, match="ile is too big"):
        await bot.get_file(update.message.voice.file_id)
    with pytest.raises(BadRequest, match="rong file_id"):
        await bot.get_file("no-such-file")


async def test_a_download_of_an_unknown_path_is_not_found(fake_telegram):
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{fake_telegram.base_url}/file/bot{TOKEN}/voice/none.oga")
    assert answer.status_code == 404
    assert fake_telegram.downloads == []


async def test_send_voice_keeps_the_upload(bot, fake_telegram):
    message = await bot.send_voice(CHAT, b"OggS-answer")
    [sent] = fake_telegram.voices_sent(CHAT)
    assert (sent.content, sent.message_id) == (b"OggS-answer", message.message_id)
    assert message.voice is not None


async def test_a_transcription_request_is_recorded_and_answered(llm, fake_openai):
    fake_openai.queue_audio(Transcript("hello there"))
    result = await llm.audio.transcriptions.create(model="whisper", file=("v.ogg", b"OggS"))
    assert result.text == "hello there"
    [request] = fake_openai.audio_requests()
    assert request.body == {"model": "whisper", "file": {"filename": "v.ogg", "content": b"OggS"}}


async def test_speech_answers_ogg_bytes_and_audio_can_fail_on_demand(llm, fake_openai):
    response = await llm.audio.speech.create(model="tts", voice="alloy", input="Hi")
    assert response.content == SPOKEN
    fake_openai.queue_audio(Fail(429))
    with pytest.raises(openai.RateLimitError):
        await llm.audio.speech.create(model="tts", voice="alloy", input="Hi")
    assert len(fake_openai.audio_requests("speech")) == 2
