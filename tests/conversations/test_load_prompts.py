"""`load_prompts`: shipped prompts, updates from a file or URL, and refusals that change nothing."""

import pytest
from django.core.management import ManagementUtility
from django.core.management.base import CommandError

from conversations.models import Prompt
from core.data_sources import MAX_BYTES
from tests.factories import PromptFactory
from tests.loading import command_output, write_source

pytestmark = pytest.mark.django_db


def load(*args):
    return command_output("load_prompts", *args)


write = write_source


def snapshot():
    return list(Prompt.objects.values_list("key", "language", "text", "is_active"))


def test_shipped_prompts_cover_every_key_in_russian_and_english():
    load()

    stored = set(Prompt.objects.values_list("key", "language"))
    assert stored == {(key, lang) for key in Prompt.Key.values for lang in ("ru", "en")}


def test_shipped_privacy_notice_has_a_place_for_the_policy_link():
    load()

    assert "{privacy_url}" in Prompt.objects.get(key="privacy_notice", language="ru").text


def test_running_twice_does_not_duplicate():
    load()

    output = load()

    assert Prompt.objects.count() == 10
    assert "0 created, 0 updated, 10 unchanged" in output


def test_a_changed_file_updates_the_text_and_keeps_history(tmp_path):
    PromptFactory(key="greeting", language="en", text="Hi")
    source = write(tmp_path, "p.yaml", "- {key: greeting, language: en, text: Welcome!}\n")

    output = load("--source", source)

    prompt = Prompt.objects.get(key="greeting", language="en")
    assert prompt.text == "Welcome!"
    assert [h.text for h in prompt.history.order_by("history_id")] == ["Hi", "Welcome!"]
    assert "0 created, 1 updated" in output


def test_an_unchanged_prompt_gets_no_new_history_entry(tmp_path):
    PromptFactory(key="greeting", language="en", text="Hi")
    source = write(tmp_path, "p.yaml", "- {key: greeting, language: en, text: Hi}\n")

    load("--source", source)

    assert Prompt.objects.get(key="greeting", language="en").history.count() == 1


SPREADSHEET_CSV = """key,language,text,is_active
faq,ru,"Как оплатить?
Картой или по счёту.",TRUE
faq,en,How to pay? By card.,FALSE
"""


def test_prompts_load_from_a_published_spreadsheet(file_server):
    url = file_server.serve("/pub?output=csv", SPREADSHEET_CSV, content_type="text/csv")

    load("--source", url)

    assert Prompt.objects.get(key="faq", language="ru").text.splitlines() == [
        "Как оплатить?",
        "Картой или по счёту.",
    ]
    assert not Prompt.objects.get(key="faq", language="en").is_active


def test_an_unknown_prompt_key_changes_nothing(tmp_path):
    PromptFactory(key="greeting", language="en", text="Hi")
    before = snapshot()
    source = write(
        tmp_path,
        "p.yaml",
        "- {key: greeting, language: en, text: New}\n- {key: farewell, language: en, text: Bye}\n",
    )

    with pytest.raises(CommandError, match=r"record 2: key: .*'farewell'"):
        load("--source", source)

    assert snapshot() == before


def test_a_missing_text_changes_nothing(tmp_path):
    source = write(
        tmp_path, "p.yaml", "- {key: faq, language: en, text: A}\n- {key: faq, language: ru}\n"
    )

    with pytest.raises(CommandError, match="record 2: required field “text” is missing"):
        load("--source", source)

    assert snapshot() == []


def test_malformed_yaml_changes_nothing(tmp_path):
    source = write(tmp_path, "p.yaml", "- key: faq\n  text: [oops\n")

    with pytest.raises(CommandError, match="not valid YAML"):
        load("--source", source)

    assert snapshot() == []


def test_the_same_prompt_twice_is_refused(tmp_path):
    source = write(tmp_path, "p.csv", "key,language,text\nfaq,en,A\nfaq,en,B\n")

    with pytest.raises(CommandError, match="row 3: duplicate record for faq / en"):
        load("--source", source)


def test_a_dry_run_reports_but_saves_nothing():
    output = load("--dry-run")

    assert "10 created" in output
    assert "Dry run: nothing was saved." in output
    assert snapshot() == []


def test_prune_deactivates_prompts_the_file_does_not_list(tmp_path):
    PromptFactory(key="greeting", language="en", text="Hi")
    source = write(tmp_path, "p.yaml", "- {key: faq, language: en, text: A}\n")

    output = load("--source", source, "--prune")

    assert not Prompt.objects.get(key="greeting", language="en").is_active
    assert "1 created, 0 updated, 0 unchanged, 1 deactivated" in output


def test_without_prune_unlisted_prompts_stay_active(tmp_path):
    PromptFactory(key="greeting", language="en", text="Hi")
    source = write(tmp_path, "p.yaml", "- {key: faq, language: en, text: A}\n")

    load("--source", source)

    assert Prompt.objects.get(key="greeting", language="en").is_active


def test_a_failed_load_exits_non_zero_with_one_line(tmp_path, capsys):
    missing = str(tmp_path / "missing.yaml")

    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "load_prompts", "--source", missing]).execute()

    assert exit_info.value.code == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"CommandError: {missing}: cannot read the file: No such file or directory"
    ]


def test_a_too_large_download_changes_nothing(file_server):
    PromptFactory(key="greeting", language="en", text="Hi")
    before = snapshot()
    url = file_server.serve("/prompts.csv", b"key,language,text\n" + b"x" * MAX_BYTES)

    with pytest.raises(CommandError, match="larger than the 5 MB limit"):
        load("--source", url)

    assert snapshot() == before
