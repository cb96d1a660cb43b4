"""Benchmark: the public API's reads at 100,000 leads and 1,000,000 messages.

    .venv/bin/python bench/api_requests.py [--contacts 100000] [--messages 1000000] [--runs 5]

Seeds a throwaway database with `bench/admin_scale.py`'s seeding (SQLite, or PostgreSQL when
DATABASE_URL names one), issues a token of every scope for a superuser and one for staff who
work with one of the three bots, then times requests through Django's test client: the leads
list (first page, a page 50,000 leads deep by its cursor, searches, filters), a lead with its
card, both ends of the 10,000-message lead's messages, and the one bot's staff's leads list;
beside them the admin's leads list (what staff open for the same rows). The baseline is
`GET /api/v1/services` on an empty catalog: what any call costs (the token read and counted,
the answer written). After one warm-up each, the requests take turns for --runs rounds (see
benchtiming.py); each number is the median (wall clock, and this process's CPU time), and
"x token" the median over the rounds of the request's time / the baseline's in the same round.
Target: every request under 300 ms, as the admin's pages; the exit status is 1 when missed.
"""

import time

from admin_scale import page_call, seed
from benchsetup import analyze, run_at_scale
from benchtiming import in_turns

TARGET_MS = 300
DEEP = 50_000


def _client(user):
    """A test client speaking with a new token of every scope of `user`."""
    from django.test import Client

    from api.models import ApiToken
    from api.scopes import Scope
    from api.services import token_issue

    token = ApiToken(
        name="bench", scopes=list(Scope.values), rate_per_minute=10**9, created_by=user
    )
    return Client(headers={"Authorization": f"Bearer {token_issue(token=token)}"})


def run(contacts: int, messages: int, runs: int) -> bool:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from api.cursors import cursor_of
    from bots.models import Bot
    from conversations.models import Contact, Message

    started = time.perf_counter()
    whale = seed(contacts, messages)
    analyze()
    print(
        f"seeded {contacts:,} leads and {messages:,} messages "
        f"in {time.perf_counter() - started:.0f} s"
    )
    superuser = get_user_model().objects.create_superuser("bench", "b@example.com", "x")
    api = _client(superuser)
    staff = get_user_model().objects.create_user("bench-staff", is_staff=True)
    first_bot = Bot.objects.order_by("pk").first()
    staff.bots.add(first_bot)
    staff_api = _client(staff)
    admin = Client()
    admin.force_login(superuser)

    deep = Contact.objects.order_by("-created_at", "-id")[min(DEEP, contacts - 1)]
    deep_message = Message.objects.filter(contact_id=whale).order_by("created_at", "id")[9_000]
    leads, whales = "/api/v1/leads?limit=100", f"/api/v1/leads/{whale}/messages?limit=100"
    requests = {
        "leads, page 1": (api, leads),
        f"leads, {DEEP:,} deep": (api, f"{leads}&cursor={cursor_of(deep.created_at, deep.pk)}"),
        "search by name": (api, f"{leads}&search=Petrova4242"),
        "search by the phone's end": (api, f"{leads}&search=004-24-21"),
        "filter status=won": (api, f"{leads}&status=won"),
        "filter bot": (api, f"{leads}&bot={first_bot.pk}"),
        "a lead with its card": (api, f"/api/v1/leads/{whale}"),
        "messages, first page": (api, whales),
        "messages, 9,000 deep": (
            api,
            f"{whales}&cursor={cursor_of(deep_message.created_at, deep_message.pk)}",
        ),
        "leads, one bot's staff": (staff_api, leads),
        "admin leads list (for reference)": (
            admin,
            reverse("admin:conversations_contact_changelist"),
        ),
    }
    baseline = "empty catalog (baseline)"
    timings = in_turns(
        {
            baseline: page_call(api, "/api/v1/services"),
            **{name: page_call(client, url) for name, (client, url) in requests.items()},
        },
        runs,
    )
    print(f"\n{'request':<34}{'median, ms':>12}{'CPU, ms':>10}{'x token':>10}")
    for name, timing in timings.items():
        ratio = timing.ratio(timings[baseline])
        print(f"{name:<34}{timing.wall_ms:>12.1f}{timing.cpu_ms:>10.1f}{ratio:>9.1f}x")
    slow = [name for name in requests if timings[name].wall_ms >= TARGET_MS]
    print(f"\ntarget < {TARGET_MS} ms:", "met" if not slow else f"MISSED for {', '.join(slow)}")
    return not slow


if __name__ == "__main__":
    run_at_scale(__doc__, run)
