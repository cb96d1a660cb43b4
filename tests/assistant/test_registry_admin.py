"""The LLM registry admin: key status without the key, one default model, connection test."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assistant.gateway import NO_API_KEY
from assistant.models import LLMModel, LLMProvider
from assistant.services import llm_model_mark_default
from tests.factories import LLMModelFactory, LLMProviderFactory
from tests.fakes.openai_server import Fail, Reply
from tests.permissions import login_with_permissions

MODELS = reverse("admin:assistant_llmmodel_changelist")
PROVIDERS = reverse("admin:assistant_llmprovider_changelist")
ADD_PROVIDER = reverse("admin:assistant_llmprovider_add")
SECRET = "the-project-secret-value"


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


def provider_form(**values):
    return {
        "name": "Mine",
        "base_url": "https://llm.example.com/v1",
        "api_key_env": "MINE_API_KEY",
        "timeout_seconds": "30",
        "connect_timeout_seconds": "5",
        **values,
    }


def test_the_provider_form_says_which_variables_may_hold_a_key(admin_client):
    content = admin_client.get(ADD_PROVIDER).content.decode()

    assert "It must end in _API_KEY or be listed in LLM_API_KEY_VARIABLES" in content


def test_a_provider_naming_a_key_variable_is_saved(admin_client):
    admin_client.post(ADD_PROVIDER, provider_form())

    assert LLMProvider.objects.get().api_key_env == "MINE_API_KEY"


def test_a_base_url_typed_without_a_scheme_means_https(admin_client):
    admin_client.post(ADD_PROVIDER, provider_form(base_url="llm.example.com/v1"))

    assert LLMProvider.objects.get().base_url == "https://llm.example.com/v1"


def test_a_provider_naming_a_project_secret_is_refused(admin_client):
    response = admin_client.post(ADD_PROVIDER, provider_form(api_key_env="SECRET_KEY"))

    assert response.context["adminform"].form.errors["api_key_env"] == [
        "SECRET_KEY is one of this project's own settings; it is never sent to a provider."
    ]
    assert not LLMProvider.objects.exists()


def test_provider_list_flags_a_variable_that_is_not_allowed(admin_client, monkeypatch, db):
    monkeypatch.setenv("SECRET_KEY", SECRET)
    provider = LLMProviderFactory()
    LLMProvider.objects.filter(pk=provider.pk).update(api_key_env="SECRET_KEY")

    content = admin_client.get(PROVIDERS).content.decode()

    assert ">not allowed<" in content


@pytest.fixture
def registry_staff(client, db):
    """Staff with every permission on providers, but not a superuser."""
    return login_with_permissions(
        client, "add_llmprovider", "change_llmprovider", "delete_llmprovider", "view_llmprovider"
    )


def test_only_superusers_may_add_a_provider(registry_staff):
    assert registry_staff.get(ADD_PROVIDER).status_code == 403
    assert registry_staff.post(ADD_PROVIDER, provider_form()).status_code == 403
    assert not LLMProvider.objects.exists()


def test_only_superusers_may_change_a_provider(registry_staff):
    provider = LLMProviderFactory(base_url="https://api.openai.com/v1")
    change = reverse("admin:assistant_llmprovider_change", args=[provider.pk])

    registry_staff.post(change, provider_form(base_url="https://evil.example/v1"))

    provider.refresh_from_db()
    assert provider.base_url == "https://api.openai.com/v1"


def test_only_superusers_may_delete_a_provider(registry_staff):
    provider = LLMProviderFactory()
    delete = reverse("admin:assistant_llmprovider_delete", args=[provider.pk])

    assert registry_staff.post(delete, {"post": "yes"}).status_code == 403
    assert LLMProvider.objects.filter(pk=provider.pk).exists()


def test_staff_still_see_the_providers(registry_staff):
    LLMProviderFactory(name="Visible")

    assert "Visible" in registry_staff.get(PROVIDERS).content.decode()


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


def test_connection_test_looks_up_a_model_that_does_not_chat(admin_client, fake_openai, db):
    provider = LLMProviderFactory(base_url=fake_openai.base_url)
    listener = LLMModelFactory(provider=provider, model_id="fake-model", capabilities=["speech"])
    unknown = LLMModelFactory(provider=provider, model_id="gone", capabilities=["transcription"])

    response = run_action(admin_client, "test_connection", [listener, unknown])

    answered, failed = sorted(shown_messages(response))
    assert answered.startswith(f"{listener} answered in ")
    assert failed.startswith(f"{unknown} failed after ") and "HTTP 404" in failed
    assert fake_openai.completion_requests() == []
    assert [r.path for r in fake_openai.requests] == ["/v1/models/fake-model", "/v1/models/gone"]


def test_connection_test_never_sends_a_project_secret(admin_client, fake_openai, monkeypatch, db):
    monkeypatch.setenv("SECRET_KEY", SECRET)
    model = LLMModelFactory(provider=LLMProviderFactory(base_url=fake_openai.base_url))
    # A row saved before the rule existed: update() skips the field's validation.
    LLMProvider.objects.update(api_key_env="SECRET_KEY")
    fake_openai.queue(Reply(text="x"))

    run_action(admin_client, "test_connection", [model])

    (request,) = fake_openai.completion_requests()
    assert request.headers["authorization"] == f"Bearer {NO_API_KEY}"
    assert not [value for value in request.headers.values() if SECRET in value]


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
