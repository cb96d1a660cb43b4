"""The LLM registry admin: key status without the key, one default model, connection test."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assistant.models import LLMModel
from assistant.services import llm_model_mark_default
from tests.factories import LLMModelFactory, LLMProviderFactory
from tests.fakes.openai_server import Fail, Reply
from tests.permissions import login_with_permissions

MODELS = reverse("admin:assistant_llmmodel_changelist")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def shown_messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_action(client, action, models):
    return client.post(
        MODELS, {"action": action, "_selected_action": [model.pk for model in models]}
    )


def test_provider_list_says_key_is_set_without_showing_it(admin_client, monkeypatch, db):
    monkeypatch.setenv("TEST_LLM_API_KEY", "sk-very-secret")
    LLMProviderFactory(api_key_env="TEST_LLM_API_KEY")

    content = admin_client.get(reverse("admin:assistant_llmprovider_changelist")).content.decode()

    assert ">set<" in content
    assert "sk-very-secret" not in content


def test_provider_list_says_key_is_missing(admin_client, monkeypatch, db):
    monkeypatch.delenv("TEST_LLM_API_KEY", raising=False)
    LLMProviderFactory(api_key_env="TEST_LLM_API_KEY")

    content = admin_client.get(reverse("admin:assistant_llmprovider_changelist")).content.decode()

    assert ">missing<" in content


def test_mark_default_moves_the_default(admin_client, db):
    old = LLMModelFactory(is_default=True)
    new = LLMModelFactory()

    response = run_action(admin_client, "mark_default", [new])

    assert list(LLMModel.objects.filter(is_default=True)) == [new]
    assert shown_messages(response) == [f"{new} is now the default model."]
    old.refresh_from_db()
    assert not old.is_default


def test_mark_default_refuses_several_models(admin_client, db):
    first, second = LLMModelFactory(), LLMModelFactory()

    response = run_action(admin_client, "mark_default", [first, second])

    assert not LLMModel.objects.filter(is_default=True).exists()
    assert shown_messages(response) == ["Select exactly one model to make the default."]


def test_marking_the_current_default_keeps_it(db):
    model = LLMModelFactory(is_default=True)

    llm_model_mark_default(model=model)

    assert list(LLMModel.objects.filter(is_default=True)) == [model]


def test_connection_test_reports_latency(admin_client, fake_openai, db):
    model = LLMModelFactory(provider=LLMProviderFactory(base_url=fake_openai.base_url))
    fake_openai.queue(Reply(text="x"))

    response = run_action(admin_client, "test_connection", [model])

    (message,) = shown_messages(response)
    assert message.startswith(f"{model} answered in ")
    assert message.endswith(" ms.")
    assert fake_openai.completion_requests()[0].body["max_tokens"] == 1


def test_connection_test_reports_the_error(admin_client, fake_openai, db):
    model = LLMModelFactory(provider=LLMProviderFactory(base_url=fake_openai.base_url))
    fake_openai.queue(Fail(status=500))

    response = run_action(admin_client, "test_connection", [model])

    (message,) = shown_messages(response)
    assert message.startswith(f"{model} failed after ")
    assert "HTTP 500" in message


# --- View-only staff ---------------------------------------------------------------------


@pytest.fixture
def viewer(client, db):
    return login_with_permissions(client, "view_llmmodel", "view_llmprovider")


def test_view_only_staff_are_not_offered_the_registry_actions(viewer, db):
    LLMModelFactory()

    content = viewer.get(MODELS).content.decode()

    assert 'value="mark_default"' not in content
    assert 'value="test_connection"' not in content


def test_a_forged_mark_default_from_view_only_staff_changes_nothing(viewer, db):
    old, new = LLMModelFactory(is_default=True), LLMModelFactory()

    response = run_action(viewer, "mark_default", [new])

    assert response.status_code == 200
    assert list(LLMModel.objects.filter(is_default=True)) == [old]


def test_a_forged_connection_test_from_view_only_staff_calls_nobody(viewer, fake_openai, db):
    model = LLMModelFactory(provider=LLMProviderFactory(base_url=fake_openai.base_url))

    response = run_action(viewer, "test_connection", [model])

    assert response.status_code == 200
    assert fake_openai.completion_requests() == []
