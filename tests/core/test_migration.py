"""Log entries written while LogEntry was the assistant's stay readable, by the same staff."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, Permission

from core.models import LogEntry
from tests.migrating import migrate, migrate_to_latest

BEFORE = [("assistant", "0003_provider_api_key_variable")]
AFTER = [("core", "0001_initial")]
WRITTEN = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def old_entry_pk(transactional_db):
    OldLogEntry = migrate(BEFORE).get_model("assistant", "LogEntry")
    entry = OldLogEntry.objects.create(
        created_at=WRITTEN,
        level="ERROR",
        logger_name="bot.handlers",
        message="reply failed",
        traceback="RuntimeError: provider down",
    )
    yield entry.pk
    migrate_to_latest()


def test_entries_written_before_the_move_are_kept(old_entry_pk):
    migrate(AFTER)

    entry = LogEntry.objects.get(pk=old_entry_pk)

    assert (entry.created_at, entry.level, entry.logger_name) == (WRITTEN, "ERROR", "bot.handlers")
    assert (entry.message, entry.traceback) == ("reply failed", "RuntimeError: provider down")


def test_new_entries_follow_the_kept_ones(old_entry_pk):
    migrate(AFTER)

    entry = LogEntry.objects.create(
        created_at=WRITTEN, level="INFO", logger_name="bot", message="after the move"
    )

    assert entry.pk > old_entry_pk
    assert LogEntry.objects.count() == 2


@pytest.mark.usefixtures("old_entry_pk")
def test_staff_allowed_to_read_the_log_still_are():
    readers = Group.objects.create(name="log readers")
    readers.permissions.add(
        Permission.objects.get(content_type__app_label="assistant", codename="view_logentry")
    )
    migrate(AFTER)

    kept = readers.permissions.get()

    assert (kept.content_type.app_label, kept.codename) == ("core", "view_logentry")
