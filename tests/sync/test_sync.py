"""Automatic sync: a source's change applied with history and a readable account of it, an
unchanged source left alone (asked with its ETag), a broken one changing nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from catalog.models import Service
from conversations.models import Prompt
from sync.models import SyncRun, SyncSource
from sync.services import describe_changes, sync_source
from tests.factories import PromptFactory, ServiceFactory

pytestmark = pytest.mark.django_db

PROMPTS = """
prompts:
  - key: greeting
    language: en
    text: {greeting}
"""


@pytest.fixture
def prompts_file(tmp_path):
    path = tmp_path / "prompts.yaml"

    def write(greeting: str) -> str:
        path.write_text(PROMPTS.format(greeting=greeting), encoding="utf-8")
        return str(path)

    return write


def source(location, kind=SyncSource.Kind.PROMPTS, **options):
    options.setdefault("name", "Shared drive")
    return SyncSource.objects.create(kind=kind, location=location, **options)


def test_a_change_is_applied_with_history_and_told_in_words(prompts_file):
    PromptFactory(key="greeting", language="en", text="Hello!")
    drive = source(prompts_file("Good afternoon!"))

    run = sync_source(drive.pk)

    assert run.outcome == SyncRun.Outcome.APPLIED
    assert run.summary == "0 created, 1 updated, 0 unchanged, 0 deactivated"
    assert "text: 'Hello!' → 'Good afternoon!'" in run.changes
    prompt = Prompt.objects.get(key="greeting", language="en")
    assert prompt.text == "Good afternoon!"
    assert prompt.history.first().history_change_reason == "Sync: Shared drive"
    drive.refresh_from_db()
    assert drive.next_run_at == run.started_at + dt.timedelta(minutes=60)
    assert (drive.claimed_until, drive.last_error) == (None, "")


def test_a_new_record_is_listed_as_added(prompts_file):
    run = sync_source(source(prompts_file("Hi there")).pk)
    assert run.changes.startswith("+ ")
    assert Prompt.objects.get(key="greeting", language="en").text == "Hi there"


def test_the_same_content_again_changes_nothing(prompts_file):
    drive = source(prompts_file("Hi there"))
    sync_source(drive.pk)
    again = sync_source(drive.pk)
    assert (again.outcome, again.changes) == (SyncRun.Outcome.UNCHANGED, "")


def test_a_bad_record_keeps_the_last_good_version_and_the_error(prompts_file, tmp_path):
    PromptFactory(key="greeting", language="en", text="Hello!")
    broken = tmp_path / "broken.yaml"
    broken.write_text("prompts:\n  - key: greeting\n    language: xx\n    text: Hi\n")
    drive = source(str(broken))

    run = sync_source(drive.pk)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert "xx" in run.error
    assert Prompt.objects.get(key="greeting", language="en").text == "Hello!"
    drive.refresh_from_db()
    assert drive.last_error == run.error
    assert drive.next_run_at is not None  # tried again later

    drive.location = prompts_file("Fixed")
    drive.save()
    assert sync_source(drive.pk).outcome == SyncRun.Outcome.APPLIED
    drive.refresh_from_db()
    assert drive.last_error == ""


def test_an_unexpected_failure_is_recorded_too(prompts_file, monkeypatch, caplog):
    drive = source(prompts_file("Hi"))
    monkeypatch.setattr("sync.services.snapshot", _broken_snapshot)
    run = sync_source(drive.pk)
    assert (run.outcome, run.error) == (SyncRun.Outcome.FAILED, "RuntimeError")
    assert "Sync of Shared drive failed" in caplog.text


def _broken_snapshot(_tables):
    raise RuntimeError


def test_an_http_source_is_asked_only_for_a_change(file_server):
    PromptFactory(key="greeting", language="en", text="Hello!")
    url = file_server.serve("/prompts.yaml", PROMPTS.format(greeting="From the web"), etag='"v1"')
    drive = source(url)

    first = sync_source(drive.pk)
    second = sync_source(drive.pk)

    assert (first.outcome, second.outcome) == (SyncRun.Outcome.APPLIED, SyncRun.Outcome.UNCHANGED)
    [(_path, plain), (_path2, conditional)] = file_server.asked
    assert "If-None-Match" not in plain
    assert conditional["If-None-Match"] == '"v1"'


def test_a_catalog_change_names_the_column(tmp_path):
    ServiceFactory(slug="consultation", title="Consultation", price=3000)
    catalog = tmp_path / "services.yaml"
    catalog.write_text(
        "services:\n  - slug: consultation\n    title: Consultation\n    price: 3500\n"
    )
    run = sync_source(source(str(catalog), kind=SyncSource.Kind.CATALOG).pk)
    assert "price: '3000.00' → '3500.00'" in run.changes
    assert Service.objects.get(slug="consultation").price == 3500


def test_a_long_value_is_cut_in_the_account(prompts_file):
    PromptFactory(key="greeting", language="en", text="short")
    run = sync_source(source(prompts_file("x" * 500)).pk)
    assert "'short' → '" + "x" * 119 + "…'" in run.changes


def test_a_sync_now_by_staff_is_marked(prompts_file):
    run = sync_source(source(prompts_file("Hi")).pk, by_staff=True, now=timezone.now())
    assert run.by_staff


def test_a_row_gone_is_listed_as_removed():
    before = {("conversations.Prompt", 1): ("prompt «greeting»", {"text": "Hi"})}
    assert describe_changes(before, {}) == "- prompt «greeting»"
