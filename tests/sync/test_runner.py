"""The bot processes sync each due source once, and staff can sync one now from admin."""

import asyncio
import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from conversations.models import Prompt
from sync import runner
from sync.models import SyncRun
from sync.services import sync_source
from tests.bot.test_inbox_worker import until
from tests.sync.test_sync import PROMPTS, source

NOW = timezone.now()


@pytest.fixture
def prompts_path(tmp_path):
    path = tmp_path / "prompts.yaml"
    path.write_text(PROMPTS.format(greeting="Synced hello"), encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_a_source_is_due_until_claimed_and_then_by_its_schedule(prompts_path):
    new = source(prompts_path)
    later = source(prompts_path, next_run_at=NOW + dt.timedelta(minutes=10))
    off = source(prompts_path, is_active=False)

    assert runner.due_source_ids(NOW) == [new.pk]
    assert runner.claim(new.pk, NOW)
    assert not runner.claim(new.pk, NOW)  # another process holds it
    assert runner.due_source_ids(NOW) == []
    assert runner.due_source_ids(NOW + runner.CLAIM + dt.timedelta(seconds=1)) == [new.pk]
    assert later.pk in runner.due_source_ids(NOW + dt.timedelta(minutes=11))
    assert off.pk not in runner.due_source_ids(NOW + dt.timedelta(days=1))


@pytest.mark.django_db(transaction=True)
async def test_the_bot_processes_sync_due_sources(prompts_path, monkeypatch):
    drive = await sync_to_async(source)(prompts_path)
    monkeypatch.setattr(runner, "LOOK_SECONDS", 0.01)
    stopping = asyncio.Event()
    task = runner.start_syncing(None, stopping=stopping)

    await until_synced(drive)
    stopping.set()
    await asyncio.wait_for(task, 10)
    assert await sync_to_async(Prompt.objects.get)(key="greeting", language="en")


async def until_synced(drive):
    async def synced():
        return await sync_to_async(SyncRun.objects.filter(source=drive).exists)()

    for _attempt in range(500):
        if await synced():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the source was not synced")


async def test_a_look_that_fails_is_logged_and_the_next_one_runs(monkeypatch, caplog):
    calls = []

    async def failing():
        calls.append(1)
        raise RuntimeError("the database is away")

    monkeypatch.setattr(runner, "LOOK_SECONDS", 0.01)
    monkeypatch.setattr(runner, "sync_due_sources", failing)
    stopping = asyncio.Event()
    task = asyncio.create_task(runner.keep_in_sync(stopping))
    await until(lambda: len(calls) >= 2)
    stopping.set()
    await asyncio.wait_for(task, 10)
    assert "Could not sync the sources: the database is away" in caplog.text


@pytest.mark.django_db
def test_staff_sync_now_and_read_what_changed(admin_client, prompts_path, tmp_path, settings):
    settings.LANGUAGE_CODE = "en"
    good = source(prompts_path)
    broken_file = tmp_path / "broken.yaml"
    broken_file.write_text("prompts: 12")
    broken = source(str(broken_file), name="Broken")

    response = admin_client.post(
        reverse("admin:sync_syncsource_changelist"),
        {"action": "sync_now", "_selected_action": [good.pk, broken.pk]},
        follow=True,
    )

    notes = [str(message) for message in get_messages(response.wsgi_request)]
    assert "Shared drive: 1 created, 0 updated, 0 unchanged, 0 deactivated" in notes
    assert any(note.startswith("Broken: ") and "expected a list" in note for note in notes)
    listing = admin_client.get(reverse("admin:sync_syncsource_changelist")).content.decode()
    assert "failing" in listing
    run = SyncRun.objects.get(source=good)
    page = admin_client.get(reverse("admin:sync_syncrun_change", args=[run.pk])).content.decode()
    assert "<pre>+ prompt" in page
    form = admin_client.get(reverse("admin:sync_syncsource_change", args=[broken.pk]))
    assert "expected a list" in form.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_a_source_another_process_claimed_meanwhile_is_left_to_it(prompts_path, monkeypatch):
    await sync_to_async(source)(prompts_path)
    monkeypatch.setattr(runner, "claim", lambda source_id, now: False)
    await runner.sync_due_sources()
    assert not await sync_to_async(SyncRun.objects.exists)()


@pytest.mark.django_db
def test_staff_read_the_runs(admin_client, prompts_path, settings):
    settings.LANGUAGE_CODE = "en"
    drive = source(prompts_path)
    sync_source(drive.pk)
    page = admin_client.get(reverse("admin:sync_syncrun_changelist")).content.decode()
    assert "Shared drive" in page
    assert "Applied" in page
