"""Benchmark: admin pages at 100,000 leads and 1,000,000 messages.

    .venv/bin/python bench/admin_scale.py [--contacts 100000] [--messages 1000000] [--runs 5]

Seeds a throwaway database (SQLite, or PostgreSQL when DATABASE_URL names one; see
benchsetup.py): one lead has a 10,000-message transcript, the rest share the other messages;
the leads belong to three bots, and every tenth to none (the terminal chat's).
It runs ANALYZE as a maintained database would have (`PRAGMA optimize`, autovacuum),
then times pages through Django's test client logged in as a superuser: the leads list, a
deep page, searches, filters (by status, by bot), both ends of the long transcript and the
message list; and as a staff user who works with one of the bots: the lists of leads,
conversations and messages, which hold that bot's rows and the terminal chat's.
Messages are inserted with plain batched INSERTs (a million model instances through
bulk_create take minutes); leads and conversations use bulk_create.
After one warm-up request each, the pages and the admin index (the baseline: what any admin
page costs) take turns for --runs rounds (see benchtiming.py). Each number is the median (wall
clock, and this process's CPU time); "x index" is the median over the rounds of the page's
time / the index's in the same round. Target: every page < 300 ms; the exit status is 1 when
it is missed.
"""

import time
from collections.abc import Callable
from datetime import timedelta

from benchsetup import analyze, run_at_scale
from benchtiming import in_turns

TARGET_MS = 300
WHALE_MESSAGES = 10_000
BATCH = 10_000


def seed(contacts: int, messages: int):
    """Leads spread over a year, one conversation each, messages a minute apart.

    `created_at` is auto_now_add; it is switched off while seeding so the data has history.
    """
    from django.utils import timezone

    from bots.models import Bot
    from conversations.models import Contact, Conversation, Message

    for model in (Contact, Conversation, Message):
        for field in model._meta.fields:
            if getattr(field, "auto_now_add", False):
                field.auto_now_add = False
    start = timezone.now() - timedelta(days=365)
    step = timedelta(days=365) / contacts
    statuses = Contact.Status.values
    bots = [
        Bot.objects.create(
            name=name, telegram_id=number, token_variable="BENCH_BOT_TOKEN"  # noqa: S106 (a name)
        ).pk
        for number, name in enumerate(("Shop", "Clinic", "School"), start=1)
    ]

    leads = [
        Contact(
            bot_id=None if n % 10 == 9 else bots[n % 3],
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
    "delivery",
    "delivery_parts",
    "delivery_error",
    "tokens_estimated",
    "author_name",
    "redacted",
    "prompt_versions",
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
    role, model, delivery = ("assistant", "gpt-4o-mini", "delivered") if n % 2 else ("user", "", "")
    text = f"Hello! How much does the audit cost and how long does it take? #{n}"
    return (
        *(conversation_id, contact_id, role, text, "text", created_at, model, "complete", ""),
        *(delivery, "[]", "", False, "", False, "{}"),
    )


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


def page_call(client, url: str) -> Callable[[], None]:
    """A request of the page as the logged-in client, which must answer 200."""

    def request():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return request


def one_bots_staff():
    """A client logged in as staff who may view leads, conversations and messages and work
    with the first bot."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.test import Client

    from bots.models import Bot

    user = get_user_model().objects.create_user("bench-staff", is_staff=True)
    codenames = ("view_contact", "view_conversation", "view_message")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    user.bots.add(Bot.objects.order_by("pk").first())
    client = Client()
    client.force_login(user)
    return client


def run(contacts: int, messages: int, runs: int) -> bool:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from bots.models import Bot

    started = time.perf_counter()
    whale = seed(contacts, messages)
    analyze()
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
        # Lead 42421 has the phone +79990042421 (every third lead has none).
        "search by phone (+7 999 ...)": f"{leads}?q=%2B7+999+004-24-21",
        "search by the phone's end": f"{leads}?q=004-24-21",
        "filter status=won": f"{leads}?status__exact=won",
        "filter bot": f"{leads}?bot__id__exact={Bot.objects.order_by('pk').first().pk}",
        "transcript, newest page": transcript,
        "transcript, first page": f"{transcript}?p=1",
        "messages list, page 1": reverse("admin:conversations_message_changelist"),
        "conversations list, page 1": reverse("admin:conversations_conversation_changelist"),
    }
    staff = one_bots_staff()
    staff_pages = {
        "leads list, one bot's staff": leads,
        "messages list, one bot's staff": reverse("admin:conversations_message_changelist"),
        "conversations, one bot's staff": reverse("admin:conversations_conversation_changelist"),
    }
    baseline = "admin index (baseline)"
    timings = in_turns(
        {
            baseline: page_call(client, reverse("admin:index")),
            **{name: page_call(client, url) for name, url in pages.items()},
            **{name: page_call(staff, url) for name, url in staff_pages.items()},
        },
        runs,
    )
    print(f"\n{'page':<32}{'median, ms':>12}{'CPU, ms':>10}{'x index':>10}")
    for name, timing in timings.items():
        ratio = timing.ratio(timings[baseline])
        print(f"{name:<32}{timing.wall_ms:>12.1f}{timing.cpu_ms:>10.1f}{ratio:>9.1f}x")
    slow = [name for name in [*pages, *staff_pages] if timings[name].wall_ms >= TARGET_MS]
    print(f"\ntarget < {TARGET_MS} ms:", "met" if not slow else f"MISSED for {', '.join(slow)}")
    return not slow


if __name__ == "__main__":
    run_at_scale(__doc__, run)
