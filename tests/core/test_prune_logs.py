"""`manage.py prune_logs`: old database log entries go, recent ones stay."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.models import LogEntry

pytestmark = pytest.mark.django_db


def add_entries(*, days_ago, count=1):
    created_at = timezone.now() - timedelta(days=days_ago)
    LogEntry.objects.bulk_create(
        LogEntry(created_at=created_at, level="INFO", logger_name="bot", message=f"{days_ago}d")
        for _ in range(count)
    )


def prune(*args):
    out = StringIO()
    call_command("prune_logs", *args, stdout=out)
    return out.getvalue()


def test_entries_older_than_the_given_days_are_deleted():
    add_entries(days_ago=10)
    add_entries(days_ago=3)
    prune("--days", "7")
    assert list(LogEntry.objects.values_list("message", flat=True)) == ["3d"]


def test_the_command_reports_how_many_were_deleted_and_the_cutoff():
    add_entries(days_ago=40, count=3)
    cutoff = timezone.localtime(timezone.now() - timedelta(days=30))
    assert f"Deleted 3 log entries created before {cutoff:%Y-%m-%d}" in prune()


def test_one_deleted_entry_is_reported_in_the_singular():
    add_entries(days_ago=40)
    assert "Deleted 1 log entry created before" in prune()


def test_thirty_days_are_kept_by_default():
    add_entries(days_ago=31)
    add_entries(days_ago=29)
    prune()
    assert list(LogEntry.objects.values_list("message", flat=True)) == ["29d"]


def test_a_backlog_is_deleted_in_several_batches():
    add_entries(days_ago=50, count=5)
    assert "Deleted 5 log entries" in prune("--days", "1", "--batch-size", "2")
    assert not LogEntry.objects.exists()


def test_days_below_one_is_a_clear_error():
    with pytest.raises(CommandError, match="--days must be 1 or more, got 0"):
        prune("--days", "0")


def test_batch_size_below_one_is_a_clear_error():
    with pytest.raises(CommandError, match="--batch-size must be 1 or more, got 0"):
        prune("--batch-size", "0")
