"""`manage.py use_local_model`: two steps from a fresh install to answers from a local server."""

import io

import pytest
from django.core.management import call_command

from assistant.models import LLMModel
from assistant.readiness import answering_model
from tests.factories import LLMModelFactory, LLMProviderFactory
from tests.fakes.openai_server import Fail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shipped_paid_default(monkeypatch, settings):
    """A fresh install: the shipped OpenAI default, and no key."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings.LLM_DEFAULT_MODEL = ""
    provider = LLMProviderFactory(name="OpenAI", api_key_env="OPENAI_API_KEY")
    LLMModelFactory(provider=provider, model_id="gpt-4o-mini", is_default=True)


def use_local_model(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("use_local_model", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_local_model_becomes_the_answering_default_and_is_checked(fake_openai):
    assert answering_model().problem
    out, err = use_local_model("--base-url", fake_openai.base_url, "--model", "qwen2.5:7b")
    model = answering_model()
    assert model.problem == ""
    assert (model.spec.model_id, model.spec.base_url) == ("qwen2.5:7b", fake_openai.base_url)
    assert "is now the default model" in out
    assert "It answered in" in out
    assert err == ""
    local = LLMModel.objects.get(model_id="qwen2.5:7b")
    assert (local.is_active, local.supports_tools, local.provider.api_key_env) == (True, False, "")


def test_running_it_again_updates_the_same_entry(fake_openai):
    use_local_model("--base-url", fake_openai.base_url, "--no-check")
    use_local_model("--base-url", fake_openai.base_url, "--no-check", "--context-window", "4096")
    assert LLMModel.objects.filter(provider__name="Local").count() == 1
    assert LLMModel.objects.get(provider__name="Local").context_window == 4096


def test_a_server_that_does_not_answer_yet_is_reported(fake_openai):
    fake_openai.queue(Fail(status=404, message="model not found"))
    _out, err = use_local_model("--base-url", fake_openai.base_url)
    assert "does not answer yet" in err
    assert "model not found" in err


def test_a_model_named_in_the_environment_still_wins_and_is_said(fake_openai, settings):
    settings.LLM_DEFAULT_MODEL = "gpt-4o-mini"
    _out, err = use_local_model("--base-url", fake_openai.base_url, "--no-check")
    assert "LLM_DEFAULT_MODEL=gpt-4o-mini" in err
