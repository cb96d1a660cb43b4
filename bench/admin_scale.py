"""Benchmark: admin pages at 100,000 leads and 1,000,000 messages on SQLite.

    .venv/bin/python bench/admin_scale.py [--contacts 100000] [--messages 1000000] [--runs 5]

Seeds a throwaway SQLite database (one lead has a 10,000-message transcript, the rest share
the other messages), runs ANALYZE as a maintained database would have (`PRAGMA optimize`),
then times pages through Django's test client logged in as a superuser: the leads list, a
deep page, searches, a filter, both ends of the long transcript and the message list.
Messages are inserted with plain batched INSERTs (a million model instances through
bulk_create take minutes); leads and conversations use bulk_create.
Each number is the median of --runs requests after one warm-up. Target: every page < 300 ms.
"""

import statistics
import time
from datetime import timedelta

from benchsetup import run_at_scale

TARGET_MS = 300
WHALE_MESSAGES = 10_000
BATCH = 10_000


def seed(contacts: int, messages: int):
    """Leads spread over a year, one conversation each, messages a minute apart.

    `created_at` is auto_now_add; it is switched off while seeding so the data has history.
    """
    from django.utils import timezone

    from conversations.models import Contact, Conversation, Message

    for model in (Contact, Conversation, Message):
        for field in model._meta.fields:
            if getattr(field, "auto_now_add", False):
                field.auto_now_add = False
    start = timezone.now() - timedelta(days=365)
    step = timedelta(days=365) / contacts
    statuses = Contact.Status.values

    leads = [
        Contact(
            external_id=str(10_000_000 + n),
            username=f"user{n}",
            first_name="Anna",
            last_name=f"Petrova{n}",
            phone=f"+7999{n:07d}" if n % 3 else "",
            email=f"lead{n}@example.com" if n % 4 else "",
            status=statuses[n % len(statuses)],
            source=("ads", "site", "referral", "")[n % 4],
            created_at=start + step * n,
            last_message_at=start + step * n + timedelta(minutes=10),
        )
        for n in range(contacts)
    ]
    Contact.objects.bulk_create(leads, batch_size=BATCH)
    contact_ids = list(Contact.objects.order_by("pk").values_list("pk", flat=True))
    whale = contact_ids[-1]

    conversations = [
        Conversation(contact_id=cid, started_at=start + step * n, last_message_at=start + step * n)
        for n, cid in enumerate(contact_ids)
    ]
    # The long-talking lead has ten conversations, so the transcript crosses boundaries.
    conversations += [
        Conversation(contact_id=whale, started_at=start + timedelta(days=d)) for d in range(9)
    ]
    Conversation.objects.bulk_create(conversations, batch_size=BATCH)
    conversation_of = dict(Conversation.objects.values_list("contact_id", "pk"))
    whale_conversations = list(
        Conversation.objects.filter(contact_id=whale)
        .order_by("started_at")
        .values_list("pk", flat=True)
    )

    rows = (
        _message_row(n, whale, whale_conversations, contact_ids, conversation_of, start, messages)
        for n in range(messages)
    )
    _insert_messages(rows)
    return whale


MESSAGE_COLUMNS = (
    "conversation_id",
    "contact_id",
    "role",
    "text",
    "content_type",
    "created_at",
    "model_name",
    "status",
    "error",
)


def _message_row(n, whale, whale_conversations, contact_ids, conversation_of, start, total):
    from django.db import connection

    if n < WHALE_MESSAGES:
        contact_id = whale
        conversation_id = whale_conversations[n * len(whale_conversations) // WHALE_MESSAGES]
    else:
        contact_id = contact_ids[
            (n - WHALE_MESSAGES) * len(contact_ids) // (total - WHALE_MESSAGES)
        ]
        conversation_id = conversation_of[contact_id]
    created_at = connection.ops.adapt_datetimefield_value(start + timedelta(seconds=30 * n))
    role, model = ("assistant", "gpt-4o-mini") if n % 2 else ("user", "")
    text = f"Hello! How much does the audit cost and how long does it take? #{n}"
    return (conversation_id, contact_id, role, text, "text", created_at, model, "complete", "")


def _insert_messages(rows) -> None:
    """Plain INSERTs in batches: building a million model instances would take minutes."""
    from itertools import islice

    from django.db import connection, transaction

    from conversations.models import Message

    columns = ", ".join(MESSAGE_COLUMNS)
    placeholders = ", ".join(["%s"] * len(MESSAGE_COLUMNS))
    sql = f"INSERT INTO {Message._meta.db_table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    while batch := list(islice(rows, BATCH)):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)


def time_page(client, url: str, runs: int) -> float:
    """Median milliseconds of `runs` requests after one warm-up."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(contacts: int, messages: int, runs: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    started = time.perf_counter()
    whale = seed(contacts, messages)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"seeded {contacts:,} leads and {messages:,} messages "
        f"in {time.perf_counter() - started:.0f} s"
    )

    client = Client()
    client.force_login(get_user_model().objects.create_superuser("bench", "b@example.com", "x"))
    leads = reverse("admin:conversations_contact_changelist")
    deep_page = min(500, max(1, contacts // 50))
    transcript = reverse("admin:conversations_contact_transcript", args=[whale])
    pages = {
        "leads list, page 1": leads,
        f"leads list, page {deep_page}": f"{leads}?p={deep_page}",
        "search by name": f"{leads}?q=Petrova4242",
        "search by phone (+7 999 ...)": f"{leads}?q=%2B7+999+004-24-20",
        "filter status=won": f"{leads}?status__exact=won",
        "transcript, newest page": transcript,
        "transcript, first page": f"{transcript}?p=1",
        "messages list, page 1": reverse("admin:conversations_message_changelist"),
        "conversations list, page 1": reverse("admin:conversations_conversation_changelist"),
    }
    print(f"\n{'page':<32}{'median, ms':>12}")
    slow = []
    for name, url in pages.items():
        elapsed = time_page(client, url, runs)
        print(f"{name:<32}{elapsed:>12.1f}")
        if elapsed >= TARGET_MS:
            slow.append(name)
    print(f"\ntarget < {TARGET_MS} ms:", "met" if not slow else f"MISSED for {', '.join(slow)}")


if __name__ == "__main__":
    run_at_scale(__doc__, run)
