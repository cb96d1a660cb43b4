"""The webhook: only Telegram (holding the bot's secret) gets updates in; each is stored once,
committed before the 200, and left to Telegram to post again while the database is away."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError
from django.test import AsyncClient

from bot.models import InboundUpdate
from bot.serving import handling
from bot.webhook import bot_webhook_secret
from bots.models import Bot
from bots.tokens import telegram_id_of
from tests.factories import BotFactory
from tests.fakes.openai_server import Reply
from tests.fakes.telegram_server import TOKEN
from tests.running_bot import inbox_settled

pytestmark = pytest.mark.django_db(transaction=True)

BOT = telegram_id_of(TOKEN)
OTHER_TOKEN = "987654321:OTHER-fake-token"
OTHER_BOT = telegram_id_of(OTHER_TOKEN)
SECRET = "webhook_Secret-123"
#: What `post` sends unless told otherwise: the secret `telegram_webhook set` gave the bot.
THE_BOTS_SECRET = object()
CHAT = 5151


def message_update(update_id: int, text: str = "Здравствуйте", chat: int = CHAT) -> dict:
    person = {"id": chat, "is_bot": False, "first_name": "Анна", "language_code": "ru"}
    message = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": {"id": chat, "type": "private", "first_name": "Анна"},
        "from": person,
        "text": text,
    }
    return {"update_id": update_id, "message": message}


def webhook_path(bot_id: int = BOT) -> str:
    return f"/telegram/webhook/{bot_id}/"


async def post(update, *, secret=THE_BOTS_SECRET, bot_id=BOT, body=None):
    if secret is THE_BOTS_SECRET:
        secret = bot_webhook_secret(bot_id)
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    return await AsyncClient().post(
        webhook_path(bot_id),
        data=json.dumps(update) if body is None else body,
        content_type="application/json",
        headers=headers,
    )


def stored() -> list[tuple[int, int]]:
    rows = InboundUpdate.objects.order_by("pk").values_list("bot_id", "update_id")
    return list(rows)


@pytest.fixture(autouse=True)
def webhook_on(settings, telegram_bot):
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    return settings


async def test_an_update_with_the_right_secret_is_stored_and_confirmed():
    response = await post(message_update(10))

    assert response.status_code == 200
    assert response.json() == {}
    assert await sync_to_async(stored)() == [(BOT, 10)]
    row = await InboundUpdate.objects.aget()
    assert (row.chat_id, json.loads(row.payload)["message"]["text"]) == (CHAT, "Здравствуйте")


@pytest.mark.parametrize(
    "secret",
    ["wrong-secret", SECRET, SECRET + "x", "", None],
)
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(secret, caplog):
    response = await post(message_update(11), secret=secret)

    assert response.status_code == 403
    assert await sync_to_async(stored)() == []
    assert "wrong or missing secret token" in caplog.text
    assert SECRET not in caplog.text
    assert bot_webhook_secret(BOT) not in caplog.text


async def test_one_bots_secret_does_not_open_another_bots_webhook():
    await sync_to_async(BotFactory)(token=OTHER_TOKEN)

    response = await post(message_update(11), bot_id=OTHER_BOT, secret=bot_webhook_secret(BOT))

    assert response.status_code == 403
    assert bot_webhook_secret(BOT) != bot_webhook_secret(OTHER_BOT)


async def test_a_secret_with_characters_outside_ascii_is_refused_not_an_error():
    response = await post(message_update(12), secret="sécret")

    assert response.status_code == 403


async def test_the_same_update_posted_twice_is_stored_once_and_confirmed_both_times():
    first = await post(message_update(13))
    second = await post(message_update(13))

    assert (first.status_code, second.status_code) == (200, 200)
    assert await sync_to_async(stored)() == [(BOT, 13)]


async def test_the_same_update_id_from_two_bots_is_stored_for_each():
    await sync_to_async(BotFactory)(token=OTHER_TOKEN)
    assert (await post(message_update(14))).status_code == 200

    assert (await post(message_update(14), bot_id=OTHER_BOT)).status_code == 200

    assert await sync_to_async(stored)() == [(BOT, 14), (OTHER_BOT, 14)]


async def test_a_body_larger_than_the_limit_is_refused(webhook_on):
    webhook_on.TELEGRAM_WEBHOOK_MAX_BYTES = 1024

    response = await post(message_update(15, text="я" * 600))

    assert response.status_code == 413
    assert await sync_to_async(stored)() == []


async def test_a_body_at_the_limit_is_taken(webhook_on):
    body = json.dumps(message_update(16)).encode()
    webhook_on.TELEGRAM_WEBHOOK_MAX_BYTES = len(body)

    assert (await post(None, body=body)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"message": {}}',
        b'{"update_id": "17"}',
        b'{"update_id": true}',
        b'{"update_id": -1}',
        b'{"update_id": 9223372036854775808}',
        b"[" * 5000 + b"]" * 5000,
    ],
)
async def test_a_body_that_is_not_an_update_is_a_bad_request(body):
    response = await post(None, body=body)

    assert response.status_code == 400
    assert await sync_to_async(stored)() == []


@pytest.mark.parametrize(
    "part",
    [
        {"message": "text"},
        {"message": []},
        {"edited_message": {"chat": "chat"}},
        {"channel_post": {"chat": {"id": 2**63}}},
        {"callback_query": [1]},
        {"callback_query": {"from": "someone"}},
    ],
)
async def test_an_update_with_an_unreadable_chat_is_stored_without_one(part):
    """What Telegram's update holds beside its id is the worker's to read (and to mark failed
    when it cannot); the webhook keeps it rather than answer with an error."""
    response = await post({"update_id": 24, **part})

    assert response.status_code == 200
    row = await InboundUpdate.objects.aget()
    assert (row.update_id, row.chat_id) == (24, None)


async def test_only_post_is_allowed():
    response = await AsyncClient().get(webhook_path())

    assert response.status_code == 405


async def test_a_bot_not_registered_is_not_found():
    response = await post(message_update(18), bot_id=BOT + 1)

    assert response.status_code == 404
    assert await sync_to_async(stored)() == []


async def test_the_bot_of_the_token_in_env_is_registered_by_its_first_post(
    webhook_on, telegram_bot
):
    """The web process may get an update before any bot process has started."""
    await telegram_bot.adelete()
    webhook_on.TELEGRAM_BOT_TOKEN = TOKEN

    response = await post(message_update(18))

    assert response.status_code == 200
    assert await Bot.objects.filter(telegram_id=BOT, token_variable="TELEGRAM_BOT_TOKEN").aexists()


async def test_a_bot_switched_off_is_not_found(telegram_bot):
    telegram_bot.is_active = False
    await telegram_bot.asave()

    response = await post(message_update(18))

    assert response.status_code == 404
    assert await sync_to_async(stored)() == []


async def test_without_a_secret_the_webhook_does_not_exist(webhook_on):
    webhook_on.TELEGRAM_WEBHOOK_SECRET = ""

    response = await post(message_update(19), secret="")

    assert response.status_code == 404
    assert await sync_to_async(stored)() == []


async def test_with_the_database_away_telegram_is_asked_to_post_again(monkeypatch, caplog):
    from bot import webhook

    def database_away(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(webhook, "store_updates", database_away)

    response = await post(message_update(20))

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert await sync_to_async(stored)() == []
    assert "left to Telegram to post again" in caplog.text


async def test_the_asgi_application_takes_a_body_without_a_declared_length_up_to_the_limit(
    webhook_on,
):
    """Through the entry point a production server loads: a chunked body has no
    Content-Length, so its real size decides."""
    from config.asgi import application

    webhook_on.SECURE_SSL_REDIRECT = False
    webhook_on.TELEGRAM_WEBHOOK_MAX_BYTES = 1024

    async def status_of(update):
        sent = []
        body = json.dumps(update).encode()
        chunks = [body[start : start + 100] for start in range(0, len(body), 100)]
        messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
        messages.append({"type": "http.request", "body": b"", "more_body": False})

        async def receive():
            if messages:
                return messages.pop(0)
            await asyncio.Event().wait()  # the client stays; Django stops listening

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": webhook_path(),
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", b"application/json"),
                (b"x-telegram-bot-api-secret-token", bot_webhook_secret(BOT).encode()),
            ],
            "query_string": b"",
            "server": ("testserver", 80),
            "scheme": "http",
        }
        await application(scope, receive, send)
        return sent[0]["status"]

    assert await status_of(message_update(21, text="я" * 600)) == 413
    assert await status_of(message_update(22)) == 200
    assert await sync_to_async(stored)() == [(BOT, 22)]


async def test_an_update_taken_by_the_webhook_is_answered_by_the_worker(
    fake_telegram, fake_openai, bot_settings, prompts, llm_model
):
    """What `runworker` runs: the job workers on PostgreSQL, the inbox worker on SQLite."""
    bot_settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    fake_openai.queue(Reply(text="Добрый день! Чем помочь?"))
    assert (await post(message_update(23, text="Подскажите цены"))).status_code == 200

    async with handling(api_base_url=fake_telegram.base_url, drain_seconds=5):
        [row] = await inbox_settled()

    assert row.state == InboundUpdate.State.DONE
    [answer] = fake_telegram.sent_messages(CHAT)
    assert answer.visible_text == "Добрый день! Чем помочь?"


async def test_an_update_the_bot_cannot_read_is_marked_failed_and_the_chat_goes_on(
    fake_telegram, fake_openai, bot_settings, prompts, llm_model, caplog
):
    """Telegram's schema moves on, a Bot API emulator errs: an update python-telegram-bot
    cannot read is kept as failed with why, and the chat's next update is answered."""
    bot_settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    fake_openai.queue(Reply(text="Добрый день!"))
    unreadable = {"update_id": 25, "message": {"chat": {"id": CHAT, "type": "private"}}}
    assert (await post(unreadable)).status_code == 200
    assert (await post(message_update(26))).status_code == 200

    async with handling(api_base_url=fake_telegram.base_url, drain_seconds=5):
        first, second = await inbox_settled()

    assert (first.state, second.state) == (InboundUpdate.State.FAILED, InboundUpdate.State.DONE)
    assert "cannot be read" in first.last_error
    [answer] = fake_telegram.sent_messages(CHAT)
    assert answer.visible_text == "Добрый день!"
