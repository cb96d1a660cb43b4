"""The LLM gateway: short secret-free error descriptions and the admin's model check."""

import socket

import httpx
import openai
import pytest

from assistant.gateway import NO_API_KEY, ModelSpec, describe_error, ping_model
from tests.factories import LLMModelFactory
from tests.fakes.openai_server import Fail, Reply, Stall

REQUEST = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")


def status_error(status, message="Invalid API key"):
    response = httpx.Response(status, request=REQUEST)
    return openai.APIStatusError(message, response=response, body=None)


def unused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spec(api_key_env):
    return ModelSpec(
        pk=1,
        model_id="m",
        display_name="M",
        base_url="http://127.0.0.1/v1",
        api_key_env=api_key_env,
        timeout_seconds=5,
        connect_timeout_seconds=1,
        temperature=0,
        max_output_tokens=10,
        context_window=1000,
    )


@pytest.fixture
def model(db, fake_openai):
    return LLMModelFactory(
        model_id="fake-model",
        provider__base_url=fake_openai.base_url,
        provider__api_key_env="",
        provider__timeout_seconds=5,
    )


# --- describe_error -------------------------------------------------------------------------


def test_a_timeout_is_described_as_a_timeout():
    assert describe_error(openai.APITimeoutError(request=REQUEST)) == "timeout"


def test_a_dropped_connection_is_described_without_details():
    assert describe_error(openai.APIConnectionError(request=REQUEST)) == "connection failed"


def test_a_provider_error_shows_the_status_and_message():
    assert describe_error(status_error(401)) == "HTTP 401: Invalid API key"


def test_any_other_error_shows_its_type_and_message():
    assert describe_error(ValueError("bad chunk")) == "ValueError: bad chunk"


def test_a_long_message_is_shortened_to_200_characters():
    description = describe_error(RuntimeError("x" * 500))
    assert description == "RuntimeError: " + "x" * 199 + "…"


def test_a_long_provider_message_is_shortened_too():
    description = describe_error(status_error(500, "y" * 300))
    assert description == "HTTP 500: " + "y" * 199 + "…"


def test_a_message_of_exactly_200_characters_is_kept_whole():
    assert describe_error(RuntimeError("z" * 200)) == "RuntimeError: " + "z" * 200


# --- API keys -------------------------------------------------------------------------------


def test_the_api_key_is_read_from_the_named_variable(monkeypatch):
    monkeypatch.setenv("SOME_PROVIDER_API_KEY", "sk-secret")
    assert spec("SOME_PROVIDER_API_KEY").api_key() == "sk-secret"


def test_an_unset_key_variable_sends_a_placeholder(monkeypatch):
    monkeypatch.delenv("SOME_PROVIDER_API_KEY", raising=False)
    assert spec("SOME_PROVIDER_API_KEY").api_key() == NO_API_KEY


def test_a_provider_without_a_key_variable_sends_a_placeholder():
    assert spec("").api_key() == NO_API_KEY


# --- ping_model -----------------------------------------------------------------------------


def test_a_working_model_pings_ok_with_its_latency(model, fake_openai):
    fake_openai.queue(Reply(text="x"))
    result = ping_model(model)
    assert result.ok is True
    assert result.latency_ms >= 0
    assert result.error == ""


def test_a_ping_is_one_token_to_the_model(model, fake_openai):
    fake_openai.queue(Reply(text="x"))
    ping_model(model)
    body = fake_openai.completion_requests()[0].body
    assert (body["model"], body["max_tokens"]) == ("fake-model", 1)


def test_a_ping_sends_the_provider_s_key(model, fake_openai, monkeypatch):
    monkeypatch.setenv("PING_TEST_API_KEY", "sk-ping")
    model.provider.api_key_env = "PING_TEST_API_KEY"
    model.provider.save()
    ping_model(model)
    assert fake_openai.completion_requests()[0].headers["authorization"] == "Bearer sk-ping"


def test_a_refused_key_fails_the_ping_with_the_status(model, fake_openai):
    fake_openai.queue(Fail(status=401, message="Incorrect API key provided"))
    result = ping_model(model)
    assert result.ok is False
    assert result.latency_ms >= 0
    assert result.error.startswith("HTTP 401: ")
    assert "Incorrect API key provided" in result.error


def test_a_failed_ping_is_not_retried(model, fake_openai):
    fake_openai.queue(Fail(status=500))
    ping_model(model)
    assert len(fake_openai.completion_requests()) == 1


def test_a_provider_that_is_down_fails_the_ping_as_a_connection_error(model):
    model.provider.base_url = f"http://127.0.0.1:{unused_port()}/v1"
    model.provider.save()
    assert ping_model(model).error == "connection failed"


def test_a_provider_slower_than_its_timeout_fails_the_ping_as_a_timeout(model, fake_openai):
    model.provider.timeout_seconds = 0.3
    model.provider.save()
    fake_openai.queue(Stall(seconds=2))
    assert ping_model(model).error == "timeout"
