"""Benchmark: the admin lead export against import-export's default path and a bare writer.

    .venv/bin/python bench/export_leads.py [--leads 100000] [--runs 3]

Seeds a throwaway database (SQLite, or PostgreSQL when DATABASE_URL names one; every lead
with three lead-card values, every other one interested in a service), then exports every
lead as CSV three ways in one process:

* bare       - `csv.writer` over `values_list().iterator()` of the same data (the leads' columns,
               their current card values, their interests), with no formatting or merging: the
               baseline;
* admin      - POST to the admin export URL (what staff click), streamed response consumed;
* default    - import-export's stock `ExportMixin._do_file_export` (Resource -> tablib -> CSV).

After one warm-up export each, the variants take turns for --runs rounds (bare, admin,
default, bare, ...; see benchtiming.py): the time is the median per variant, "x bare" the median
over the rounds of its time / the bare writer's in the same round, CPU time is this process's
(per 1,000 leads too). Peak memory growth is one more run each under tracemalloc (Python
allocations above the level before the export started).
Targets: admin >= 3x faster than default, <= 2x the bare writer, peak growth < 50 MB; the exit
status is 1 when one is missed.
"""

import argparse
import csv
import sys
import time
import tracemalloc
from datetime import timedelta

from benchsetup import database_label, throwaway_database
from benchtiming import Timing, in_turns

MB = 1024 * 1024
BARE = "bare csv.writer"
ADMIN = "admin export (streamed)"
DEFAULT = "import-export default"


def seed_scenarios_and_services() -> list:
    """Two scenarios with eight fields between them (one key shared) and three services."""
    from catalog.models import Service
    from discovery.models import Scenario, ScenarioField

    keys = (("name", "task", "budget", "city"), ("budget", "desired_date", "phone", "email"))
    for position, scenario_keys in enumerate(keys):
        scenario = Scenario.objects.create(name=f"S{position}", slug=f"s{position}")
        ScenarioField.objects.bulk_create(
            ScenarioField(
                scenario=scenario,
                key=key,
                field_type=ScenarioField.Type.TEXT,
                labels={"ru": key.title(), "en": key.title()},
                position=index,
            )
            for index, key in enumerate(scenario_keys)
        )
    return [
        Service.objects.create(titles={"ru": f"Услуга {n}", "en": f"Service {n}"}, slug=f"s-{n}")
        for n in range(3)
    ]


def seed_cards_and_interests(services: list) -> None:
    from conversations.models import Contact
    from discovery.models import LeadFieldValue
    from discovery.models import ServiceInterest as Interest

    values, interests = [], []
    for number, contact_id in enumerate(Contact.objects.values_list("pk", flat=True)):
        for key in ("name", "task", "budget"):
            values.append(
                LeadFieldValue(contact_id=contact_id, key=key, value=key, display=f"{key} {number}")
            )
        if number % 2:
            interests.append(Interest(contact_id=contact_id, service=services[number % 3]))
        if len(values) >= 15000:
            LeadFieldValue.objects.bulk_create(values)
            Interest.objects.bulk_create(interests)
            values, interests = [], []
    LeadFieldValue.objects.bulk_create(values)
    Interest.objects.bulk_create(interests)


def seed_leads(count: int) -> None:
    from django.utils import timezone

    from conversations.models import Contact

    now = timezone.now()
    statuses = Contact.Status.values
    batch = []
    for number in range(count):
        batch.append(
            Contact(
                external_id=str(10_000_000 + number),
                username=f"user{number}",
                first_name="Anna" if number % 2 else "Иван",
                last_name=f"Petrova{number}",
                phone=f"+7999{number:07d}" if number % 3 else "",
                email=f"lead{number}@example.com" if number % 4 else "",
                status=statuses[number % len(statuses)],
                source=("ads", "site", "referral", "")[number % 4],
                consent_at=now - timedelta(minutes=number) if number % 5 else None,
                last_message_at=now - timedelta(seconds=number),
            )
        )
        if len(batch) == 5000:
            Contact.objects.bulk_create(batch)
            batch = []
    Contact.objects.bulk_create(batch)


class Discard:
    """A file that forgets what it is given: the bare writer's output goes nowhere."""

    def write(self, text):
        return len(text)


def export_via_admin(client, url, form) -> int:
    response = client.post(url, form)
    assert response.status_code == 200, response.status_code
    return sum(len(chunk) for chunk in response.streaming_content)


def export_via_import_export_default(model_admin, request) -> int:
    from import_export.admin import ExportMixin
    from import_export.formats.base_formats import CSV

    queryset = model_admin.get_export_queryset(request)
    response = ExportMixin._do_file_export(model_admin, CSV(), request, queryset)
    return len(response.content)


def export_bare(columns) -> int:
    """The same data as the admin export, read and written as it comes: the floor."""
    from conversations.models import Contact
    from discovery.models import LeadFieldValue, ServiceInterest

    card = LeadFieldValue.objects.filter(is_current=True).values_list(
        "contact_id", "key", "display"
    )
    interests = ServiceInterest.objects.values_list("contact_id", "service__titles")
    writer = csv.writer(Discard())
    rows = 0
    for queryset in (Contact.objects.values_list(*columns), card, interests):
        for row in queryset.iterator(chunk_size=2000):
            writer.writerow(row)
            rows += 1
    return rows


def peak_growth(function) -> float:
    """Peak Python memory growth of one call, in MB (above the level when it started)."""
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - baseline) / MB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with throwaway_database():
        print(f"database: {database_label()}")
        return 0 if run(args.leads, args.runs) else 1


def run(leads: int, runs: int) -> bool:
    """Seed, time the three exports in turns, print the table; whether every target was met."""
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.test import Client, RequestFactory
    from django.urls import reverse

    from conversations.export import _COLUMNS
    from conversations.models import Contact

    started = time.perf_counter()
    services = seed_scenarios_and_services()
    seed_leads(leads)
    seed_cards_and_interests(services)
    print(f"seeded {leads:,} leads in {time.perf_counter() - started:.1f} s")

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench")
    client = Client()
    client.force_login(user)
    url = reverse("admin:conversations_contact_export")
    request = RequestFactory().get(url)
    request.user = user
    model_admin = admin.site.get_model_admin(Contact)
    resource_class = model_admin.resource_classes[0]
    names = resource_class().get_export_order()
    prefix = resource_class.__name__.lower()
    form = {"format": "0", "resource": "0", **{f"{prefix}_{n}": "on" for n in names}}
    columns = list(
        dict.fromkeys(c for name in names if name in _COLUMNS for c in _COLUMNS[name][0])
    )

    calls = {
        BARE: lambda: export_bare(columns),
        ADMIN: lambda: export_via_admin(client, url, form),
        DEFAULT: lambda: export_via_import_export_default(model_admin, request),
    }
    timings = in_turns(calls, runs)
    peaks = {name: peak_growth(call) for name, call in calls.items()}
    return report(timings, peaks, leads)


def report(timings: dict[str, Timing], peaks: dict[str, float], leads: int) -> bool:
    bare, admin, default = timings[BARE], timings[ADMIN], timings[DEFAULT]
    print(
        f"\n{'variant':<26}{'time, s':>10}{'CPU, s':>10}{'CPU ms per 1,000 leads':>24}"
        f"{'x bare':>9}{'peak growth, MB':>18}"
    )
    for name, timing in timings.items():
        print(
            f"{name:<26}{timing.wall_ms / 1000:>10.2f}{timing.cpu_ms / 1000:>10.2f}"
            f"{timing.cpu_ms * 1000 / leads:>24.1f}{timing.ratio(bare):>8.2f}x"
            f"{peaks[name]:>18.1f}"
        )
    faster = default.ratio(admin)
    print()
    print(f"admin export vs import-export default: {faster:.1f}x faster")
    print(f"admin export / bare writer: {admin.ratio(bare):.2f}x")
    print(f"admin export peak memory growth: {peaks[ADMIN]:.1f} MB")
    met = faster >= 3 and admin.ratio(bare) <= 2 and peaks[ADMIN] < 50
    print("targets (>=3x, <=2x, <50 MB):", "met" if met else "MISSED")
    return met


if __name__ == "__main__":
    sys.exit(main())
