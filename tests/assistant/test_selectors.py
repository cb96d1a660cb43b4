"""Which model answers: the contact's choice, LLM_DEFAULT_MODEL, the registry's default flag."""

import pytest

from assistant.models import ModelChoice
from assistant.selectors import (
    default_model_spec,
    fallback_model_spec,
    model_spec_for,
    usable_model_spec,
    usable_model_specs,
)
from tests.factories import ContactFactory, LLMModelFactory, LLMProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_models_named_in_the_environment(settings):
    settings.LLM_DEFAULT_MODEL = ""
    settings.LLM_FALLBACK_MODEL = ""


def test_the_model_flagged_default_answers_by_default():
    LLMModelFactory(model_id="first", position=0)
    LLMModelFactory(model_id="flagged", position=1, is_default=True)
    assert default_model_spec().model_id == "flagged"


def test_the_default_model_named_by_id_in_the_environment_wins_over_the_flag(settings):
    LLMModelFactory(model_id="flagged", is_default=True)
    LLMModelFactory(model_id="chosen-in-env")
    settings.LLM_DEFAULT_MODEL = "chosen-in-env"
    assert default_model_spec().model_id == "chosen-in-env"


def test_the_default_model_named_with_its_provider_wins_over_the_flag(settings):
    LLMModelFactory(model_id="shared-name", is_default=True, provider__name="Alpha")
    beta = LLMModelFactory(model_id="shared-name", provider__name="Beta")
    settings.LLM_DEFAULT_MODEL = "beta/shared-name"
    assert default_model_spec().pk == beta.pk


def test_a_model_id_containing_a_slash_is_found_by_its_whole_id(settings):
    LLMModelFactory(model_id="flagged", is_default=True)
    LLMModelFactory(model_id="meta-llama/llama-3-8b")
    settings.LLM_DEFAULT_MODEL = "meta-llama/llama-3-8b"
    assert default_model_spec().model_id == "meta-llama/llama-3-8b"


def test_an_unknown_default_model_name_falls_back_to_the_flag(settings):
    LLMModelFactory(model_id="flagged", is_default=True)
    settings.LLM_DEFAULT_MODEL = "no-such-model"
    assert default_model_spec().model_id == "flagged"


def test_an_inactive_model_named_in_the_environment_is_not_used(settings):
    LLMModelFactory(model_id="flagged", is_default=True)
    LLMModelFactory(model_id="retired", is_active=False)
    settings.LLM_DEFAULT_MODEL = "retired"
    assert default_model_spec().model_id == "flagged"


def test_without_a_default_flag_the_first_active_model_answers():
    LLMModelFactory(model_id="retired", position=0, is_active=False)
    LLMModelFactory(model_id="second", position=2)
    LLMModelFactory(model_id="first", position=1)
    assert default_model_spec().model_id == "first"


def test_an_inactive_model_flagged_default_is_skipped():
    LLMModelFactory(model_id="retired", is_default=True, is_active=False)
    LLMModelFactory(model_id="active")
    assert default_model_spec().model_id == "active"


def test_there_is_no_default_without_active_models():
    LLMModelFactory(is_active=False)
    assert default_model_spec() is None


def test_the_default_spec_carries_the_provider_connection():
    provider = LLMProviderFactory(base_url="http://127.0.0.1:8000/v1", timeout_seconds=12)
    LLMModelFactory(provider=provider, model_id="m", context_window=4096)
    spec = default_model_spec()
    assert (spec.base_url, spec.timeout_seconds, spec.context_window) == (
        "http://127.0.0.1:8000/v1",
        12,
        4096,
    )


def test_the_fallback_model_is_the_one_named_in_the_environment(settings):
    LLMModelFactory(model_id="main", is_default=True)
    LLMModelFactory(model_id="spare")
    settings.LLM_FALLBACK_MODEL = "spare"
    assert fallback_model_spec().model_id == "spare"


def test_there_is_no_fallback_model_unless_one_is_named():
    LLMModelFactory(model_id="main", is_default=True)
    assert fallback_model_spec() is None


def test_only_active_models_can_be_chosen():
    LLMModelFactory(model_id="on", position=1)
    LLMModelFactory(model_id="off", is_active=False)
    LLMModelFactory(model_id="also-on", position=0)
    assert [spec.model_id for spec in usable_model_specs()] == ["also-on", "on"]


def test_a_model_whose_key_is_missing_is_not_offered(monkeypatch):
    monkeypatch.setenv("PRESENT_API_KEY", "sk-present")
    monkeypatch.delenv("ABSENT_API_KEY", raising=False)
    with_key = LLMProviderFactory(name="With key", api_key_env="PRESENT_API_KEY")
    without_key = LLMProviderFactory(name="Without key", api_key_env="ABSENT_API_KEY")
    local = LLMProviderFactory(name="Local", api_key_env="")
    LLMModelFactory(model_id="paid", provider=with_key)
    LLMModelFactory(model_id="keyless", provider=without_key)
    LLMModelFactory(model_id="local", provider=local)
    assert sorted(spec.model_id for spec in usable_model_specs()) == ["local", "paid"]


def contact_who_chose(model) -> int:
    return ModelChoice.objects.create(contact=ContactFactory(), model=model).contact_id


def test_a_chosen_model_that_lost_its_key_is_replaced_by_the_default(monkeypatch):
    monkeypatch.delenv("ABSENT_API_KEY", raising=False)
    LLMModelFactory(model_id="main", is_default=True)
    without_key = LLMProviderFactory(name="Without key", api_key_env="ABSENT_API_KEY")
    chosen = LLMModelFactory(model_id="keyless", provider=without_key)
    spec, replaced = model_spec_for(contact_id=contact_who_chose(chosen))
    assert (spec.model_id, replaced) == ("main", True)


def test_the_contact_s_active_choice_answers():
    LLMModelFactory(model_id="main", is_default=True)
    chosen = LLMModelFactory(model_id="chosen")
    spec, replaced = model_spec_for(contact_id=contact_who_chose(chosen))
    assert spec.model_id == "chosen"
    assert replaced is False


def test_an_inactive_choice_is_replaced_by_the_default_and_flagged():
    LLMModelFactory(model_id="main", is_default=True)
    chosen = LLMModelFactory(model_id="retired", is_active=False)
    spec, replaced = model_spec_for(contact_id=contact_who_chose(chosen))
    assert spec.model_id == "main"
    assert replaced is True


def test_choosing_a_model_that_is_gone_gives_the_default_flagged():
    LLMModelFactory(model_id="main", is_default=True)
    spec, replaced = usable_model_spec(model_id=999_999)
    assert spec.model_id == "main"
    assert replaced is True


def test_without_a_choice_the_default_answers_unflagged():
    LLMModelFactory(model_id="main", is_default=True)
    spec, replaced = model_spec_for(contact_id=ContactFactory().pk)
    assert spec.model_id == "main"
    assert replaced is False


def test_a_deleted_model_takes_the_choices_of_it_along():
    LLMModelFactory(model_id="main", is_default=True)
    chosen = LLMModelFactory(model_id="gone")
    contact_id = contact_who_chose(chosen)
    chosen.delete()
    assert model_spec_for(contact_id=contact_id) == (default_model_spec(), False)
