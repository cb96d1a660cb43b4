"""`load_data`, run by `make run`: fills in what is missing and leaves staff edits alone."""

import dataclasses
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assistant.management.commands import load_data as load_data_command
from assistant.models import LLMModel
from catalog.models import Service
from conversations.models import Prompt

pytestmark = pytest.mark.django_db


def load_data(*args):
    out = StringIO()
    call_command("load_data", *args, stdout=out)
    return out.getvalue()


def test_a_fresh_database_gets_every_shipped_record():
    output = load_data()

    assert (Prompt.objects.count(), Service.objects.count(), LLMModel.objects.count()) == (10, 2, 5)
    assert output.splitlines() == [
        "prompts: 10 created, 0 updated, 0 unchanged, 0 deactivated",
        "services: 2 created, 0 updated, 0 unchanged, 0 deactivated",
        "scenarios and their fields: 9 created, 0 updated, 0 unchanged, 0 deactivated, "
        "0 fields deleted",
        "LLM providers and models: 7 created, 0 updated, 0 unchanged, 0 deactivated",
    ]


def test_a_second_run_changes_nothing():
    load_data()

    output = load_data()

    assert (Prompt.objects.count(), Service.objects.count(), LLMModel.objects.count()) == (10, 2, 5)
    assert output.splitlines() == [
        "prompts: 0 created, 0 updated, 10 unchanged, 0 deactivated",
        "services: 0 created, 0 updated, 2 unchanged, 0 deactivated",
        "scenarios and their fields: 0 created, 0 updated, 9 unchanged, 0 deactivated, "
        "0 fields deleted",
        "LLM providers and models: 0 created, 0 updated, 7 unchanged, 0 deactivated",
    ]


def test_staff_edits_survive_a_restart():
    load_data()
    Prompt.objects.filter(key="greeting", language="ru").update(text="Добрый день!")
    Service.objects.filter(slug="initial-consultation").update(price=7000)

    load_data()

    assert Prompt.objects.get(key="greeting", language="ru").text == "Добрый день!"
    assert Service.objects.get(slug="initial-consultation").price == 7000


def test_update_makes_the_shipped_files_win():
    load_data()
    Prompt.objects.filter(key="greeting", language="ru").update(text="Добрый день!")

    load_data("--update")

    assert Prompt.objects.get(key="greeting", language="ru").text.startswith("Здравствуйте!")


def test_a_recreated_shipped_model_does_not_take_the_staff_default():
    load_data()
    LLMModel.objects.filter(model_id="gpt-4o-mini").delete()
    LLMModel.objects.filter(model_id="gpt-4o").update(is_default=True)

    load_data()

    assert LLMModel.objects.get(is_default=True).model_id == "gpt-4o"
    assert LLMModel.objects.filter(model_id="gpt-4o-mini").exists()


def test_a_dry_run_saves_nothing():
    output = load_data("--dry-run")

    assert "Dry run: nothing was saved." in output
    assert (Prompt.objects.count(), Service.objects.count(), LLMModel.objects.count()) == (0, 0, 0)


def test_one_broken_file_leaves_everything_unwritten(tmp_path, monkeypatch):
    broken = tmp_path / "models.yaml"
    broken.write_text("providers: [oops\n", encoding="utf-8")
    *first, models = load_data_command.LOADERS
    monkeypatch.setattr(
        load_data_command,
        "LOADERS",
        (*first, dataclasses.replace(models, default_source=broken)),
    )

    with pytest.raises(CommandError, match=r"models\.yaml: not valid YAML"):
        load_data()

    assert (Prompt.objects.count(), Service.objects.count()) == (0, 0)
