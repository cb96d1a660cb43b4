"""Pytest fixtures for the loopback fakes: a fresh server per test, always stopped."""

import pytest

from tests.fakes.crm_servers import FakeAmoCrm, FakeBitrix24, FakeWebhookReceiver
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.vk_server import FakeVk


@pytest.fixture
def fake_openai():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake_telegram():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def fake_webhook():
    with FakeWebhookReceiver() as fake:
        yield fake


@pytest.fixture
def fake_bitrix():
    with FakeBitrix24() as fake:
        yield fake


@pytest.fixture
def fake_amocrm():
    with FakeAmoCrm() as fake:
        yield fake


@pytest.fixture
def fake_vk():
    with FakeVk() as fake:
        yield fake
