"""Fixtures for a running bot: the real PTB Application from `runbot`'s builder, on the fakes."""

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from telegram.ext import ExtBot

from assistant.runtime import Runtime
from bot.application import READ_TIMEOUT
from bot.handlers import RUNTIME
from bot.models import InboundUpdate
from bot.operator_desk import REMINDER_SECONDS
from bot.ratelimit import ChatRetryAfterLimiter
from bot.serving import serving
from conversations.models import Prompt
from knowledge import runner as knowledge_runner
from sync import runner as sync_runner
from tests.factories import (
    BotFactory,
    LLMModelFactory,
    LLMProviderFactory,
    PromptFactory,
    ServiceFactory,
)
from tests.fakes.telegram_server import TOKEN
from vk import serving as vk_serving

PROMPTS = {
    "system": ("Ты вежливый консультант.", "You are a polite consultant."),
    "greeting": ("Здравствуйте! Я помогу выбрать услугу.", "Hello! I will help you choose."),
    "faq": ("Оплата картой.", "We accept cards."),
    "contact_request": ("Оставьте телефон.", "Please leave your phone."),
    "privacy_notice": (
        "Мы храним ваши данные только для ответа. {privacy_url}",
        "We keep your data only to answer you. {privacy_url}",
    ),
}


@pytest.fixture
def prompts(transactional_db):
    for key, (russian, english) in PROMPTS.items():
        PromptFactory(key=key, language="ru", text=russian)
        PromptFactory(key=key, language="en", text=english)
    return Prompt.objects.all()


@pytest.fixture
def llm_model(transactional_db, fake_openai):
    provider = LLMProviderFactory(name="Fake", base_url=fake_openai.base_url)
    return LLMModelFactory(
        provider=provider, model_id="fake-model", display_name="Fake Model", is_default=True
    )


@pytest.fixture
def services(transactional_db):
    return [
        ServiceFactory(title="Консультация", slug="consultation", price=3000),
        ServiceFactory(title="Сопровождение", slug="support", price=None),
    ]


@pytest.fixture
def bot_settings(settings, monkeypatch):
    settings.LLM_MAX_RETRIES = 2
    settings.LLM_TOTAL_DEADLINE = 10
    settings.TELEGRAM_STAFF_CHAT_ID = ""
    settings.PRIVACY_POLICY_URL = "https://example.com/privacy"
    settings.LLM_DEFAULT_MODEL = ""
    settings.LLM_FALLBACK_MODEL = ""
    # A test of alerts, syncs or VK runs them when it means to: their database work must not
    # meet the test's own writes in SQLite's shared in-memory database (locked tables).
    settings.ALERT_CHECK_SECONDS = 3600
    monkeypatch.setattr(sync_runner, "LOOK_SECONDS", 3600)
    monkeypatch.setattr(vk_serving, "LOOK_SECONDS", 3600)
    monkeypatch.setattr(knowledge_runner, "LOOK_SECONDS", 3600)
    return settings


@pytest.fixture
def read_timeout():
    """How long the bot waits for Telegram's answer; a test may shorten it."""
    return READ_TIMEOUT


@pytest.fixture
def reminder_seconds():
    """How often the bot looks for people nobody has answered; a test may shorten it."""
    return REMINDER_SECONDS


@pytest.fixture
def telegram_bot(transactional_db):
    """The fake's bot, as staff add it in admin (its token stored encrypted)."""
    return BotFactory(token=TOKEN, name="Fake Bot", username="fake_test_bot")


@pytest.fixture
async def running_bots(
    fake_telegram,
    fake_openai,
    bot_settings,
    prompts,
    llm_model,
    read_timeout,
    reminder_seconds,
    telegram_bot,
):
    """`runbot`'s intake and inbox worker in the test's event loop, serving every active bot
    (the fake's to begin with); yields the `bot.serving.Running`; stopped and its DB
    connection closed after."""
    async with serving(
        api_base_url=fake_telegram.base_url,
        drain_seconds=30,
        long_poll_seconds=1,
        read_timeout=read_timeout,
        reminder_seconds=reminder_seconds,
    ) as running:
        yield running
    await sync_to_async(connections.close_all, thread_sensitive=True)()


@pytest.fixture
def running_bot(running_bots, telegram_bot):
    """The application of the fake's bot, served by `running_bots`."""
    return running_bots.bots.get(telegram_bot.telegram_id).application


def renew_runtime(application) -> None:
    """After a test changed the flood-limit settings: a runtime built from them."""
    application.bot_data[RUNTIME] = Runtime.from_settings()


#: The staff chat of `staff_forum`.
STAFF = -1009401


@pytest.fixture
def staff_forum(fake_telegram, bot_settings):
    """The staff chat is a supergroup with topics, the bot an admin that may manage them."""
    fake_telegram.make_forum(STAFF, title="Staff")
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF)
    bot_settings.LANGUAGE_CODE = "en"  # staff read the site language
    return STAFF


class ManualClock:
    """A clock the test moves by hand, for throttling and pauses."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
async def ext_bot(fake_telegram):
    """A bare bot (no Application) with the project's 429 limiter, against the fake."""
    limiter = ChatRetryAfterLimiter(clock=ManualClock())
    async with ExtBot(TOKEN, base_url=fake_telegram.api_url, rate_limiter=limiter) as bot:
        yield bot


async def inbox_settled(timeout: float = 30.0) -> list[InboundUpdate]:
    """Wait until every stored update was handled or failed; the inbox's rows, oldest first."""

    def rows():
        return list(InboundUpdate.objects.order_by("pk"))

    deadline = time.monotonic() + timeout
    while any(row.state == InboundUpdate.State.QUEUED for row in await sync_to_async(rows)()):
        if time.monotonic() > deadline:
            raise AssertionError(f"updates still waiting after {timeout}s")
        await asyncio.sleep(0.01)
    return await sync_to_async(rows)()


async def in_thread(function, *args):
    """Run database work in a thread of its own (as another process would), closing its
    connection after so the test database can be dropped."""

    def run():
        try:
            return function(*args)
        finally:
            connections.close_all()

    return await asyncio.to_thread(run)
