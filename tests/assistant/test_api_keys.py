"""Only variables declared for keys are sent to a provider; the project's own secrets never are."""

import logging

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError

from assistant.api_keys import validate_api_key_variable
from assistant.gateway import NO_API_KEY
from assistant.models import LLMProvider
from tests.assistant.test_gateway import spec
from tests.bot.test_e2e_basics import wait_messages

SECRET = "the-project-secret-value"
PROJECT_SECRETS = [
    "SECRET_KEY",
    "TELEGRAM_BOT_TOKEN",
    "DATABASE_URL",
    "SENTRY_DSN",
    "LOG_CLOUD_TOKEN",
]


def refusal(name):
    with pytest.raises(ValidationError) as caught:
        validate_api_key_variable(name)
    return caught.value.messages[0]


def sent_headers(fake_openai):
    return [value for request in fake_openai.requests for value in request.headers.values()]


# --- The rule ---------------------------------------------------------------------------------


def test_a_variable_ending_in_api_key_is_read(monkeypatch):
    monkeypatch.setenv("GROQ_API_KEY", "sk-groq")

    assert spec("GROQ_API_KEY").api_key() == "sk-groq"


def test_a_variable_listed_in_the_setting_is_read(monkeypatch, settings):
    settings.LLM_API_KEY_VARIABLES = ["GROQ_KEY"]
    monkeypatch.setenv("GROQ_KEY", "sk-groq")

    validate_api_key_variable("GROQ_KEY")
    assert spec("GROQ_KEY").api_key() == "sk-groq"


def test_a_variable_not_declared_for_keys_is_refused_with_the_way_out():
    assert refusal("HOME") == (
        "HOME is not declared for API keys: use a variable whose name ends in _API_KEY "
        "or list it in LLM_API_KEY_VARIABLES."
    )


@pytest.mark.parametrize("name", PROJECT_SECRETS)
def test_a_project_secret_is_refused_even_when_listed(settings, name):
    settings.LLM_API_KEY_VARIABLES = [name]

    assert refusal(name) == (
        f"{name} is one of this project's own settings; it is never sent to a provider."
    )


def test_a_provider_may_name_no_variable_at_all():
    assert validate_api_key_variable("") is None


@pytest.mark.parametrize("name", [*PROJECT_SECRETS, "HOME"])
def test_a_refused_variable_sends_the_placeholder(monkeypatch, name):
    monkeypatch.setenv(name, SECRET)

    assert spec(name).api_key() == NO_API_KEY


def test_a_refused_variable_is_logged_by_name_without_its_value(monkeypatch, caplog):
    monkeypatch.setenv("SECRET_KEY", SECRET)

    with caplog.at_level(logging.WARNING, logger="assistant.api_keys"):
        spec("SECRET_KEY").api_key()

    assert "SECRET_KEY is not allowed" in caplog.text
    assert SECRET not in caplog.text


# --- Nothing leaves the process ----------------------------------------------------------------


async def test_a_reply_through_a_provider_naming_a_secret_does_not_send_it(
    running_bot, fake_telegram, fake_openai, monkeypatch
):
    monkeypatch.setenv("SECRET_KEY", SECRET)
    # A row saved before the rule existed: update() skips the field's validation.
    await sync_to_async(LLMProvider.objects.update)(api_key_env="SECRET_KEY")

    fake_telegram.push_message(7101, "Сколько стоит консультация?")
    await wait_messages(fake_telegram, 7101, 1)

    assert fake_openai.completion_requests()[0].headers["authorization"] == f"Bearer {NO_API_KEY}"
    assert not [value for value in sent_headers(fake_openai) if SECRET in value]
