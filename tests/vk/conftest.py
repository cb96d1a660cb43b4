"""A VK community answered by the fake's bot, served by a running bot process on the fakes."""

import asyncio

import pytest

from core.db import db_call
from tests.fakes.vk_server import GROUP_ID, TOKEN
from vk import serving
from vk.models import VkCommunity


@pytest.fixture
def vk_settings(bot_settings, fake_vk, monkeypatch):
    bot_settings.VK_API_BASE_URL = fake_vk.base_url
    monkeypatch.setattr(serving, "POLL_WAIT", 1)
    monkeypatch.setattr(serving, "LOOK_SECONDS", 0.2)
    return bot_settings


async def listening(fake_vk, timeout: float = 30.0) -> None:
    """Until the community's poller asks VK for events (what VK had before is not its)."""
    async with asyncio.timeout(timeout):
        while not fake_vk.polls:
            await asyncio.sleep(0.01)


@pytest.fixture
async def served_community(community, running_bots, fake_vk):
    """The community served by the running bot process, listening to VK."""
    await listening(fake_vk)
    return community


@pytest.fixture
def community(transactional_db, telegram_bot, vk_settings):
    community = VkCommunity(name="Shop in VK", group_id=GROUP_ID, bot=telegram_bot)
    community.set_token(TOKEN)
    community.save()
    return community


async def wait_sent(fake_vk, peer_id: int, count: int, timeout: float = 30.0):
    """What the community sent `peer_id`, once there are `count` messages."""
    async with asyncio.timeout(timeout):
        while len(sent := fake_vk.sent_to(peer_id)) < count:
            await asyncio.sleep(0.01)
    return sent


async def until_stored(condition, timeout: float = 30.0) -> None:
    """Until `condition()` (a database read, made where the bot's own reads are) holds."""
    async with asyncio.timeout(timeout):
        while not await db_call(condition)():
            await asyncio.sleep(0.01)
