"""CRM delivery: lead events from the outbox to the fake webhook, per second and how late.

    .venv/bin/python bench/crm_delivery.py [--events 10000] [--leads 1000] [--paced 2000]
                                           [--rate 20]

Three runs against the same fake receiver (`tests/fakes/crm_servers.FakeWebhookReceiver`,
which checks each signature and schema) in a process of its own:

* **bare** (the baseline): the same number of signed bodies posted by a plain httpx loop with
  the courier's concurrency, no database: the floor of HTTP and signing;
* **backlog**: `--events` events waiting in the outbox (`--leads` leads, in order per lead),
  delivered by `integrations.courier.CrmCourier` as a bot process runs it;
* **paced**: `--paced` changes written at `--rate` per second (one `lead_events_record` each,
  the capture's own path, in a thread) while the courier delivers them, looking every second
  when idle as in production: the delay from the change to its arrival at the receiver, p50
  and p99.

Events per second is events / (last arrival - first change or post); CPU per event is this
process's CPU time (the courier, the database client, the writer) / events; *x bare* compares
with the baseline measured in the same run. Every event must arrive once, each lead's in
order. Targets: backlog at least **0.5x bare**, paced p99 delay **≤ 2 s**.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchsetup import database_label, throwaway_database

BACKLOG_TARGET = 0.5  # x bare
P99_TARGET = 2.0  # seconds


def receiver_process(pipe) -> None:
    """The fake receiver, in its own process: answers requests until asked for its report."""
    from tests.fakes.crm_servers import FakeWebhookReceiver

    with FakeWebhookReceiver() as fake:
        pipe.send(fake.url)
        while (command := pipe.recv()) != "stop":
            if command == "report":
                with fake.lock:
                    pipe.send(
                        [
                            (doc["event"]["id"], doc["lead"]["id"], doc["event"]["sequence"], at)
                            for doc, at in zip(fake.accepted, fake.arrived_at, strict=True)
                        ]
                    )
            elif command == "count":
                with fake.lock:
                    pipe.send(len(fake.accepted))


class Receiver:
    def __init__(self):
        self.pipe, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=receiver_process, args=(child,))
        self.process.start()
        self.url = self.pipe.recv()

    def ask(self, command: str):
        self.pipe.send(command)
        return self.pipe.recv()

    def stop(self):
        self.pipe.send("stop")
        self.process.join()


def setup(leads: int, url: str) -> list[int]:
    from conversations.models import Contact
    from tests.factories import IntegrationFactory

    Contact.objects.bulk_create(
        Contact(external_id=str(n), first_name=f"Lead {n}") for n in range(leads)
    )
    IntegrationFactory(url=url)
    return list(Contact.objects.order_by("id").values_list("id", flat=True))


def write_events(lead_ids: list[int], events: int, rate: float | None) -> None:
    """`events` changes, round-robin over the leads, at `rate` per second (None: at once)."""
    from django.db import connection

    from integrations.services import lead_events_record

    started = time.perf_counter()
    for number in range(events):
        if rate:
            time.sleep(max(0.0, started + number / rate - time.perf_counter()))
        lead_events_record(
            contact_id=lead_ids[number % len(lead_ids)],
            events=[("card_changed", {"fields": ["step"]})],
        )
    connection.close()


async def deliver(receiver: Receiver, expected: int, writer: threading.Thread | None) -> float:
    """Run the courier until the receiver has `expected` more events; returns CPU seconds."""
    import httpx

    from integrations.clients import TIMEOUT
    from integrations.courier import CrmCourier

    have = receiver.ask("count")
    cpu = time.process_time()
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        courier = CrmCourier(client=client)
        running = asyncio.create_task(courier.run())
        if writer:
            writer.start()
        while receiver.ask("count") < have + expected:
            await asyncio.sleep(0.2)
        courier.stop()
        await running
    return time.process_time() - cpu


async def bare(url: str, events: int, concurrency: int) -> float:
    """The baseline: signed posts with no database; returns CPU seconds."""
    import httpx

    queue: asyncio.Queue = asyncio.Queue()
    for number in range(events):
        queue.put_nowait(number)
    cpu = time.process_time()

    async def post(client):
        while not queue.empty():
            number = queue.get_nowait()
            body = bare_body(number)
            signature = hmac.new(b"webhook-secret-123", body, hashlib.sha256).hexdigest()
            key = json.loads(body)["event"]["id"]
            headers = {"X-Signature-SHA256": signature, "X-Idempotency-Key": key}
            await client.post(url, content=body, headers=headers)

    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(post(client) for _worker in range(concurrency)))
    return time.process_time() - cpu


def bare_body(number: int) -> bytes:
    lead = dict.fromkeys(
        ["name", "first_name", "last_name", "username", "phone", "email", "source"], ""
    )
    lead.update(
        id=10**6 + number,
        channel="telegram",
        external_id=str(number),
        bot=None,
        language="ru",
        status="new",
        created_at="2026-01-01T00:00:00+00:00",
        qualified_at=None,
        card_confirmed_at=None,
        card=[],
    )
    event = {
        "id": str(uuid.uuid4()),
        "kind": "card_changed",
        "sequence": 1,
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "data": {"fields": ["step"]},
    }
    document = {
        "schema": "consult-assistant/lead-event",
        "version": 1,
        "event": event,
        "lead": lead,
        "fields": {},
    }
    return json.dumps(document, separators=(",", ":")).encode()


def arrivals_since(receiver: Receiver, start: int) -> list[tuple]:
    return receiver.ask("report")[start:]


def check(arrived: list[tuple], expected: int) -> tuple[int, int]:
    """(duplicates or missing, leads out of order) among this run's arrivals."""
    ids = {event_id for event_id, *_rest in arrived}
    by_lead: dict[int, list[int]] = {}
    for _id, lead, sequence, _at in arrived:
        by_lead.setdefault(lead, []).append(sequence)
    unordered = sum(numbers != sorted(numbers) for numbers in by_lead.values())
    return abs(expected - len(ids)) + (len(arrived) - len(ids)), unordered


def delays(arrived: list[tuple]) -> list[float]:
    from integrations.models import LeadEvent

    made = {
        str(uid): at.timestamp() for uid, at in LeadEvent.objects.values_list("uid", "created_at")
    }
    return [at - made[event_id] for event_id, _lead, _seq, at in arrived]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--leads", type=int, default=1_000)
    parser.add_argument("--paced", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=20.0)
    args = parser.parse_args()
    receiver = Receiver()
    try:
        # The integration's secret is stored encrypted: a key for this run only.
        with throwaway_database(BOT_TOKEN_KEYS=Fernet.generate_key().decode()):
            met = run(receiver, args)
    finally:
        receiver.stop()
    sys.exit(0 if met else 1)


def run(receiver: Receiver, args) -> bool:
    from integrations.courier import BATCH

    print(f"database: {database_label()}; {args.events} events, {args.leads} leads")
    lead_ids = setup(args.leads, receiver.url)
    rows = []

    started = time.time()
    cpu = asyncio.run(bare(receiver.url, args.events, BATCH))
    arrived = arrivals_since(receiver, 0)
    base_rate = args.events / (max(at for *_rest, at in arrived) - started)
    rows.append(("bare httpx (baseline)", base_rate, cpu / args.events, None, None))

    write_events(lead_ids, args.events, rate=None)
    first_change = time.time()  # the backlog is there; the courier starts now
    cpu = asyncio.run(deliver(receiver, args.events, writer=None))
    backlog = arrivals_since(receiver, args.events)
    backlog_rate = args.events / (max(at for *_rest, at in backlog) - first_change)
    rows.append(("backlog", backlog_rate, cpu / args.events, *check(backlog, args.events)))

    writer = threading.Thread(target=write_events, args=(lead_ids, args.paced, args.rate))
    started = time.time()
    cpu = asyncio.run(deliver(receiver, args.paced, writer=writer))
    writer.join()
    paced = arrivals_since(receiver, 2 * args.events)
    paced_rate = args.paced / (max(at for *_rest, at in paced) - started)
    rows.append(
        (f"paced @{args.rate:g}/s", paced_rate, cpu / args.paced, *check(paced, args.paced))
    )
    waits = delays(paced)

    columns = {"events/s": 9, "x bare": 7, "CPU ms/event": 13, "lost+dup": 9, "unordered": 10}
    print(f"{'run':22} " + " ".join(f"{name:>{width}}" for name, width in columns.items()))
    for name, rate, cpu_per_event, lost, unordered in rows:
        print(
            f"{name:22} {rate:9.0f} {rate / base_rate:7.2f} {cpu_per_event * 1000:13.2f}"
            f" {'' if lost is None else lost:>9} {'' if unordered is None else unordered:>10}"
        )
    p50, p99 = statistics.median(waits), percentile(waits, 0.99)
    print(f"paced: change -> delivery p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    faults = sum(row[3] + row[4] for row in rows[1:])
    met = backlog_rate / base_rate >= BACKLOG_TARGET and p99 <= P99_TARGET and faults == 0
    print("targets met" if met else "TARGET MISSED")
    return met


if __name__ == "__main__":
    main()
