"""Writes to the database log sink's table."""

from __future__ import annotations

from datetime import datetime

from core.models import LogEntry


def log_entries_prune(*, older_than: datetime, batch_size: int = 5000) -> int:
    """Delete log entries created before `older_than`; returns how many were deleted.

    Deleting in batches keeps each transaction short, so the bot can keep writing logs
    (SQLite allows one writer) while a large backlog is pruned.
    """
    total = 0
    while True:
        batch = list(
            LogEntry.objects.filter(created_at__lt=older_than)
            .order_by()
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return total
        deleted, _details = LogEntry.objects.filter(pk__in=batch).delete()
        total += deleted
