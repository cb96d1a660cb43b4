"""`load_models`: the shipped registry, one default model at all times, and clear refusals."""

from decimal import Decimal

import pytest
from django.core.management.base import CommandError

from assistant.models import LLMModel, LLMProvider
from tests.factories import LLMModelFactory
from tests.loading import command_output, write_source

pytestmark = pytest.mark.django_db

PROVIDER = "- name: Lab\n  base_url: http://127.0.0.1:8080/v1\n  models:\n"


def load(*args):
    return command_output("load_models", *args)


def write(tmp_path, text, name="m.yaml"):
    return write_source(tmp_path, name, text)


def snapshot():
    return list(LLMModel.objects.values_list("provider__name", "model_id", "is_default"))


def default_model():
    return LLMModel.objects.get(is_default=True)


def test_shipped_registry_names_key_variables_not_keys():
    load()

    assert dict(LLMProvider.objects.values_list("name", "api_key_env")) == {
        "OpenAI": "OPENAI_API_KEY",
        "Local": "",
    }


def test_shipped_registry_defaults_to_gpt_4o_mini():
    load()

    assert (default_model().provider.name, default_model().model_id) == ("OpenAI", "gpt-4o-mini")
    assert default_model().context_window == 128000


def test_shipped_local_model_waits_switched_off():
    load()

    local = LLMModel.objects.get(provider__name="Local")
    assert (local.model_id, local.is_active) == ("llama3.1:8b", False)
    assert local.provider.base_url == "http://127.0.0.1:11434/v1"


def test_the_local_model_reads_the_lead_card_from_json_and_openai_from_tool_calls():
    load()

    supports = dict(LLMModel.objects.values_list("provider__name", "supports_tools").distinct())
    assert supports == {"Local": False, "OpenAI": True}


def test_running_twice_does_not_duplicate():
    load()

    output = load()

    assert (LLMProvider.objects.count(), LLMModel.objects.count()) == (2, 5)
    assert "0 created, 0 updated, 7 unchanged" in output


def test_a_new_default_in_the_file_replaces_the_old_one(tmp_path):
    old = LLMModelFactory(model_id="old", is_default=True)
    source = write(tmp_path, PROVIDER + "    - {model_id: fresh, is_default: yes}\n")

    load("--source", source)

    old.refresh_from_db()
    assert not old.is_default
    assert default_model().model_id == "fresh"


def test_the_default_can_move_between_listed_models(tmp_path):
    load()
    source = write(
        tmp_path,
        "- name: OpenAI\n  base_url: https://api.openai.com/v1\n  models:\n"
        "    - {model_id: gpt-4o-mini}\n    - {model_id: gpt-4o, is_default: true}\n",
    )

    load("--source", source)

    assert default_model().model_id == "gpt-4o"


def test_two_defaults_in_one_file_are_refused(tmp_path):
    source = write(
        tmp_path,
        PROVIDER + "    - {model_id: a, is_default: yes}\n    - {model_id: b, is_default: yes}\n",
    )

    with pytest.raises(CommandError, match="model 2: only one model can be the default; Lab / a"):
        load("--source", source)

    assert snapshot() == []


SPREADSHEET_CSV = (
    "provider,base_url,api_key_env,model_id,display_name,is_default,input_price_per_million\n"
    'Lab,http://127.0.0.1:8080/v1,LAB_API_KEY,small,Small,TRUE,"0,15"\n'
    "Lab,,,large,Large,FALSE,2.5\n"
)


def test_models_load_from_spreadsheet_rows_with_provider_columns(file_server):
    url = file_server.serve("/pub?output=csv", SPREADSHEET_CSV, content_type="text/csv")

    load("--source", url)

    assert LLMProvider.objects.get().api_key_env == "LAB_API_KEY"
    assert dict(LLMModel.objects.values_list("model_id", "input_price_per_million")) == {
        "small": Decimal("0.15"),
        "large": Decimal("2.5"),
    }


def test_a_row_describing_its_provider_differently_is_refused(tmp_path):
    source = write(
        tmp_path,
        "provider,base_url,model_id\nLab,http://127.0.0.1:1/v1,a\nLab,http://127.0.0.1:2/v1,b\n",
        name="m.csv",
    )

    with pytest.raises(CommandError, match="row 3: provider Lab is described differently"):
        load("--source", source)


def test_a_row_without_a_model_id_is_refused(tmp_path):
    source = write(tmp_path, "provider,base_url,model_id\nLab,http://127.0.0.1:1/v1,\n", "m.csv")

    with pytest.raises(CommandError, match="row 2: required field “model_id” is missing"):
        load("--source", source)


def test_a_provider_without_a_url_is_refused(tmp_path):
    source = write(tmp_path, "- name: Lab\n  models: []\n")

    with pytest.raises(CommandError, match="record 1: required field “base_url” is missing"):
        load("--source", source)


def test_a_malformed_url_is_refused(tmp_path):
    source = write(tmp_path, "- {name: Lab, base_url: 'not a url'}\n")

    with pytest.raises(CommandError, match="record 1: base_url: "):
        load("--source", source)


def test_a_provider_naming_a_project_secret_as_its_key_is_refused(tmp_path):
    source = write(
        tmp_path,
        "- name: Lab\n  base_url: https://llm.example.com/v1\n  api_key_env: TELEGRAM_BOT_TOKEN\n",
    )

    with pytest.raises(
        CommandError, match="record 1: api_key_env: TELEGRAM_BOT_TOKEN is one of this project's"
    ):
        load("--source", source)

    assert not LLMProvider.objects.exists()


def test_a_provider_naming_an_undeclared_key_variable_is_refused(tmp_path):
    source = write(
        tmp_path, "- {name: Lab, base_url: 'http://127.0.0.1:1/v1', api_key_env: HOME}\n"
    )

    with pytest.raises(CommandError, match="record 1: api_key_env: HOME is not declared for API"):
        load("--source", source)


def test_a_provider_listed_twice_is_refused(tmp_path):
    source = write(tmp_path, PROVIDER + "    - {model_id: a}\n" + PROVIDER)

    with pytest.raises(CommandError, match="record 2: provider Lab is listed twice"):
        load("--source", source)


def test_models_must_be_a_list(tmp_path):
    source = write(tmp_path, "- {name: Lab, base_url: 'http://127.0.0.1:1/v1', models: gpt}\n")

    with pytest.raises(CommandError, match="“models” must be a list"):
        load("--source", source)


def test_an_unknown_model_field_is_refused(tmp_path):
    source = write(tmp_path, PROVIDER + "    - {model_id: a, api_key: sk-123}\n")

    with pytest.raises(CommandError, match=r"record 1, model 1: unknown field\(s\) api_key"):
        load("--source", source)


def test_a_bad_model_value_changes_nothing(tmp_path):
    load()
    before = snapshot()
    source = write(tmp_path, PROVIDER + "    - {model_id: a, context_window: lots}\n")

    with pytest.raises(CommandError, match="“context_window” must be a number"):
        load("--source", source)

    assert snapshot() == before


def test_prune_deactivates_unlisted_models_and_drops_their_default(tmp_path):
    old = LLMModelFactory(model_id="old", is_default=True)
    source = write(tmp_path, PROVIDER + "    - {model_id: fresh}\n")

    output = load("--source", source, "--prune")

    old.refresh_from_db()
    assert (old.is_active, old.is_default) == (False, False)
    assert "1 deactivated" in output


def test_a_dry_run_saves_nothing():
    load("--dry-run")

    assert (LLMProvider.objects.count(), LLMModel.objects.count()) == (0, 0)
