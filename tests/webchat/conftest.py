"""A web chat site on the fake LLM, and a window's requests through Django's async client."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient

from tests.running_bot import bot_settings, llm_model, prompts, services, telegram_bot  # noqa: F401
from webchat import views
from webchat.models import WebSite

SITE_ORIGIN = "https://shop.example"


@pytest.fixture
def site(
    transactional_db, telegram_bot, prompts, llm_model, bot_settings, fake_telegram  # noqa: F811
):
    """A site of the fake's bot; the web process reaches its staff chat on the fake only."""
    bot_settings.TELEGRAM_API_BASE_URL = fake_telegram.base_url
    return WebSite.objects.create(
        name="Shop", bot=telegram_bot, allowed_origins=f"{SITE_ORIGIN}\nhttp://127.0.0.1:9"
    )


class Window:
    """What the chat window's script does, as requests."""

    def __init__(self, site: WebSite, language: str = "en"):
        self.client = AsyncClient()
        self.site = site
        self.language = language
        self.visitor = ""
        self.base = f"/webchat/s/{site.key}/"

    def headers(self) -> dict:
        return {"X-Visitor": self.visitor, "Accept-Language": self.language}

    async def open(self) -> "Window":
        response = await self.client.post(self.base + "visitor", headers=self.headers())
        self.visitor = response.json()["visitor"]
        return self

    async def post(self, path: str, body: dict, message_id: str = ""):
        body = {"id": message_id or f"m{id(body)}", "language": self.language, **body}
        return await self.client.post(
            self.base + path, json.dumps(body), "application/json", headers=self.headers()
        )

    async def events(self, path: str, body: dict, message_id: str = "") -> list[dict]:
        response = await self.post(path, body, message_id)
        assert response.status_code == 200, response.content
        content = b"".join([chunk async for chunk in response.streaming_content])
        return [json.loads(line) for line in content.decode().splitlines() if line.strip()]

    async def say(self, text: str, message_id: str = "") -> list[dict]:
        return await self.events("send", {"text": text}, message_id)

    async def messages(self, after: int = 0) -> list[dict]:
        response = await self.client.get(
            self.base + f"messages?after={after}", headers=self.headers()
        )
        assert response.status_code == 200, response.content
        return response.json()["messages"]


@pytest.fixture
async def window(site):
    opened = await Window(site).open()
    yield opened
    for made in list(views._services.values()):
        await made.close()
    views._services.clear()
    await sync_to_async(connections.close_all, thread_sensitive=True)()
