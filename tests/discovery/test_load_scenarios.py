"""`load_scenarios` and `load_data`: shipped defaults, updates, refusals that change nothing."""

import dataclasses
import json
import re

import pytest
from django.core.management.base import CommandError

from assistant.management.commands import load_data as load_data_command
from discovery.management.commands.load_scenarios import LOADER
from discovery.models import Scenario, ScenarioField
from tests.factories import ScenarioFactory, ScenarioFieldFactory, ServiceFactory
from tests.loading import command_output, write_source

pytestmark = pytest.mark.django_db


def load(*args, command="load_scenarios"):
    return command_output(command, *args)


def write(tmp_path, text, name="s.yaml"):
    return write_source(tmp_path, name, text)


def snapshot():
    scenarios = list(Scenario.objects.values_list("slug", "name", "is_active", "service_id"))
    fields = list(
        ScenarioField.objects.order_by("scenario__slug", "position").values_list(
            "scenario__slug", "key", "field_type", "labels", "required"
        )
    )
    return scenarios, fields


AUDIT = """
scenarios:
  - slug: audit
    name: Audit
    applies_to: service
    service: audit
    guidance: {en: Ask about the books.}
    fields:
      - {key: name, type: text, label: {ru: Имя, en: Name}}
      - key: period
        type: choice
        choices: [quarter, year]
        required: no
"""


def test_the_shipped_default_scenario_asks_for_eight_fields_in_order():
    load()

    scenario = Scenario.objects.get()
    assert (scenario.slug, scenario.applies_to, scenario.is_active) == (
        "consultation",
        "default",
        True,
    )
    assert list(scenario.fields.values_list("key", "field_type", "required")) == [
        ("name", "text", True),
        ("service", "service", True),
        ("task", "text", True),
        ("budget", "money", False),
        ("desired_date", "date", False),
        ("city", "text", False),
        ("contact_time", "choice", False),
        ("phone", "phone", True),
    ]


def test_the_shipped_scenario_speaks_russian_and_english():
    load()

    scenario = Scenario.objects.get()
    assert set(scenario.guidance) == {"ru", "en"}
    assert all(
        set(field.labels) == set(field.hints) == {"ru", "en"} for field in scenario.fields.all()
    )
    assert scenario.fields.get(key="contact_time").choice_list() == [
        "09:00–12:00",
        "12:00–17:00",
        "17:00–21:00",
    ]


def test_running_twice_changes_nothing():
    load()
    before = snapshot()

    output = load()

    assert snapshot() == before
    assert output == (
        "scenarios and their fields: 0 created, 0 updated, 9 unchanged, 0 deactivated, "
        "0 fields deleted\n"
    )


def test_a_service_scenario_names_its_service_by_catalog_slug(tmp_path):
    service = ServiceFactory(slug="audit")

    load("--source", write(tmp_path, AUDIT))

    scenario = Scenario.objects.get(slug="audit")
    assert scenario.service == service
    assert scenario.fields.get(key="period").choice_list() == ["quarter", "year"]


def test_a_changed_label_in_the_file_updates_the_field(tmp_path):
    ServiceFactory(slug="audit")
    load("--source", write(tmp_path, AUDIT))

    output = load("--source", write(tmp_path, AUDIT.replace("en: Name", "en: Full name")))

    assert ScenarioField.objects.get(key="name").labels == {"ru": "Имя", "en": "Full name"}
    assert "0 created, 1 updated, 2 unchanged" in output


@pytest.mark.parametrize(
    ("good", "bad", "message"),
    [
        ("type: text", "type: texte", "record 2, field 1: type “texte” is not one of: text, "),
        ("key: name", "key: ''", "record 2, field 1: required field “key” is missing."),
        ("service: audit", "service: nope", "record 2: no service with slug “nope” in the"),
        ("[quarter, year]", "[quarter]", "field 2: a choice from a list needs at least two"),
        ("{en: Ask", "{de: Ask", "record 2: “guidance” has unknown language(s) de; the site"),
        ("name: Audit", "name: ''", "record 2: required field “name” is missing."),
    ],
)
def test_a_bad_scenario_changes_nothing(tmp_path, good, bad, message):
    ServiceFactory(slug="audit")
    ScenarioFactory(slug="existing", name="Kept")
    body = AUDIT.replace(good, bad).replace(
        "scenarios:\n", "scenarios:\n  - {slug: existing, name: Renamed, is_active: no}\n"
    )
    before = snapshot()

    with pytest.raises(CommandError, match=re.escape(message)):
        load("--source", write(tmp_path, body))

    assert snapshot() == before


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("{slug: a, name: A, fields: oops}", "“fields” must be a list."),
        ("{slug: a, name: A, guidance: text}", "“guidance” must map language codes to texts"),
        ("{slug: a, name: A, colour: red}", r"unknown field\(s\) colour"),
        ("{slug: a, name: A, applies_to: source}", "required field “source” is missing."),
        ("{slug: a, name: A, applies_to: always}", "applies_to: Value 'always' is not a valid"),
        (
            "{slug: a, name: A, fields: [{key: k, type: choice, choices: {a: b}}]}",
            "“choices” must be a list of texts.",
        ),
        (
            "{slug: a, name: A, fields: [{key: k, type: text}, {key: k, type: date}]}",
            "field 2: duplicate record for k.",
        ),
        ("{slug: a, name: A, fields: [{key: 'no spaces', type: text}]}", "field 1: key: "),
    ],
)
def test_a_bad_record_is_explained(tmp_path, record, message):
    with pytest.raises(CommandError, match=message):
        load("--source", write(tmp_path, f"scenarios:\n  - {record}\n"))

    assert snapshot() == ([], [])


def test_two_active_defaults_in_one_file_are_refused(tmp_path):
    body = "scenarios:\n  - {slug: a, name: A}\n  - {slug: b, name: B}\n"

    with pytest.raises(CommandError, match="only one default scenario can be active; a is"):
        load("--source", write(tmp_path, body))


def test_choices_may_be_one_option_per_line(tmp_path):
    body = (
        "scenarios:\n  - slug: a\n    name: A\n    fields:\n      - key: time\n"
        "        type: choice\n        choices: |\n          morning\n          evening\n"
    )

    load("--source", write(tmp_path, body))

    assert ScenarioField.objects.get().choices == "morning\nevening"


def test_a_source_scenario_keeps_its_deep_link_source(tmp_path):
    body = "scenarios:\n  - {slug: ads, name: Ads, applies_to: source, source: ads_vk}\n"

    load("--source", write(tmp_path, body))

    assert Scenario.objects.get().source == "ads_vk"


def test_scenarios_load_from_json_in_object_storage(file_server):
    body = json.dumps(
        {"scenarios": [{"slug": "web", "name": "Web", "fields": [{"key": "city", "type": "text"}]}]}
    )
    url = file_server.serve("/bucket/scenarios", body, content_type="application/json")

    load("--source", url)

    assert snapshot() == (
        [("web", "Web", True, None)],
        [("web", "city", "text", {}, True)],
    )


def test_an_unreachable_url_changes_nothing(file_server):
    with pytest.raises(CommandError, match="HTTP 404"):
        load("--source", file_server.url("/missing.yaml"))

    assert snapshot() == ([], [])


def test_a_dry_run_saves_nothing():
    output = load("--dry-run")

    assert "9 created" in output
    assert snapshot() == ([], [])


def test_fields_the_file_does_not_list_stay_without_prune():
    ScenarioFieldFactory(scenario=ScenarioFactory(slug="consultation"), key="fax")

    load()

    assert ScenarioField.objects.filter(key="fax").exists()


def test_prune_deletes_unlisted_fields_and_deactivates_unlisted_scenarios():
    ScenarioFieldFactory(scenario=ScenarioFactory(slug="consultation"), key="fax")
    ScenarioFactory(slug="old", applies_to=Scenario.AppliesTo.SOURCE, source="x")

    output = load("--prune")

    assert not ScenarioField.objects.filter(key="fax").exists()
    assert not Scenario.objects.get(slug="old").is_active
    assert output.endswith("1 deactivated, 1 fields deleted\n")


def test_the_files_default_replaces_another_active_default_on_update():
    ScenarioFactory(slug="mine")

    load()

    assert list(Scenario.objects.filter(is_active=True).values_list("slug", flat=True)) == [
        "consultation"
    ]


# --- load_data: create only what is missing ---------------------------------------------------


def test_load_data_keeps_a_scenario_as_staff_edited_it():
    load(command="load_data")
    scenario = Scenario.objects.get()
    Scenario.objects.update(name="Our own")
    scenario.fields.filter(key="city").delete()

    load(command="load_data")

    assert Scenario.objects.get().name == "Our own"
    assert not scenario.fields.filter(key="city").exists()


def test_load_data_brings_the_shipped_default_in_switched_off_beside_the_staffs():
    ScenarioFactory(slug="mine")

    load(command="load_data")

    assert dict(Scenario.objects.values_list("slug", "is_active")) == {
        "mine": True,
        "consultation": False,
    }


def test_load_data_loads_a_service_scenario_after_the_catalog_it_names(tmp_path, monkeypatch):
    source = tmp_path / "scenarios.yaml"
    source.write_text(AUDIT.replace("service: audit", "service: initial-consultation"))
    loaders = [
        dataclasses.replace(LOADER, default_source=source) if loader is LOADER else loader
        for loader in load_data_command.LOADERS
    ]
    monkeypatch.setattr(load_data_command, "LOADERS", tuple(loaders))

    load(command="load_data")

    assert Scenario.objects.get().service.slug == "initial-consultation"
