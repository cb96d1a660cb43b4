"""Benchmark: the real bot against the fake Bot API and an instant fake LLM, beside an echo bot.

    .venv/bin/python bench/bot_throughput.py [--chats 200] [--per-chat 5] [--rate 100]
                                             [--light-rate 20] [--fakes-in-process]

Both bots run on the same fakes (`tests/fakes`), by default in a separate process so the fakes'
HTTP threads do not share the bots' GIL (see bench/README.md):

* echo   - a bare python-telegram-bot Application, one handler: `reply_text(message.text)`;
* real   - `bot.application.build_application(...)`: every handler, per-chat ordering, the 429
           limiter, the reply pipeline on a throwaway database (SQLite, or PostgreSQL
           when DATABASE_URL names one), and an LLM that answers at once in one chunk.

Each bot first answers a few warm-up messages on other chats. Then a burst: every message of
every chat pushed at once; throughput = messages / (first push -> last final reply). Then, for
the real bot only, the same load paced at --rate updates/s, and one message per chat at
--light-rate (for reference), on new chats, for latencies:

* update -> LLM request: getUpdates handing the update out -> the request reaching the fake LLM;
* first token -> first visible text: the fake LLM writing the first text -> the chat's next
  draft or message (an answer complete at once goes out as the message, without a draft).

Targets: no lost, duplicated or reordered reply; real throughput >= 60% of the echo bot's;
p99 of both latencies < 50 ms at 100 updates/s. The exit status is 1 when a target is missed.
"""

import argparse
import asyncio
import logging
import multiprocessing
import re
import statistics
import sys
import time
import traceback
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before the fakes' process is spawned: it inherits sys.path

TAG = re.compile(r"\bq(\d+)n(\d+)\b")
MIN_RATIO = 0.6
MAX_P99_MS = 50.0
SETTLE_SECONDS = 0.5  # after the last expected reply, wait this long for late duplicates
WARM_UP_CHATS = 20


def tag(chat: int, number: int) -> str:
    """A unique mark per message, carried into the LLM request and (for both bots) the reply."""
    return f"q{chat}n{number}"


def instant_reply(body: dict):
    """The fake LLM: the whole answer in one chunk, naming the message it answers."""
    from tests.fakes.openai_server import Reply

    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    found = TAG.search(users[-1]["content"]) if users else None
    return Reply(text=f"ok {found[0] if found else '-'}", chunk_size=50)


# ---- the fakes' side: runs in its own process unless --fakes-in-process ----------------------


class FakesHost:
    """Owns both fakes, pushes the load and turns what the fakes recorded into numbers."""

    def __init__(self):
        self.telegram = None
        self.llm = None

    def start(self) -> dict:
        from tests.fakes.openai_server import FakeOpenAI
        from tests.fakes.telegram_server import FakeTelegram

        self.telegram = FakeTelegram().start()
        self.llm = FakeOpenAI(default=instant_reply).start()
        return {"telegram": self.telegram.base_url, "llm": self.llm.base_url}

    def stop(self) -> None:
        for fake in (self.telegram, self.llm):
            if fake is not None:
                fake.stop()
        self.telegram = self.llm = None

    def run(self, *, chats: list[int], per_chat: int, rate: float | None, timeout: float) -> dict:
        """Push `per_chat` messages to each chat (round-robin), wait for every final reply."""
        fake = self.telegram
        baseline = len(fake.calls_of("sendMessage"))
        order = [(chat, number) for number in range(per_chat) for chat in chats]
        update_tags = {}
        started = time.monotonic()
        for index, (chat, number) in enumerate(order):
            if rate:
                time.sleep(max(started + index / rate - time.monotonic(), 0))
            text = f"How much is a consultation? {tag(chat, number)}"
            update_tags[fake.push_message(chat, text)] = tag(chat, number)
        pushed = time.monotonic()
        deadline = pushed + timeout
        while len(fake.calls_of("sendMessage")) < baseline + len(order):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        time.sleep(SETTLE_SECONDS)
        return self._results(chats, per_chat, update_tags, started, pushed)

    def _results(self, chats, per_chat, update_tags, started, pushed) -> dict:
        replies = {chat: self.telegram.sent_messages(chat) for chat in chats}
        tags_by_chat = {}
        for chat, messages in replies.items():
            found = (TAG.search(message.visible_text) for message in messages)
            tags_by_chat[chat] = [match[0] if match else None for match in found]
        reply_at = {
            found: message.at
            for chat, messages in replies.items()
            for found, message in zip(tags_by_chat[chat], messages, strict=True)
        }
        all_replies = [message.at for messages in replies.values() for message in messages]
        return {
            **check_delivery(tags_by_chat, per_chat),
            "count": len(update_tags),
            "push_seconds": pushed - started,
            "seconds": (max(all_replies) if all_replies else pushed) - started,
            **self._latencies(update_tags, reply_at),
        }

    def _latencies(self, update_tags: dict[int, str], reply_at: dict[str, float]) -> dict:
        delivered = {}
        for update, at in self.telegram.delivered_at.items():
            if update in update_tags:
                delivered[update_tags[update]] = at
        requests = {}
        for request in self.llm.completion_requests():
            found = TAG.search(request.body["messages"][-1]["content"])
            if found and found[0] in delivered:
                requests.setdefault(found[0], request)  # a retry is not a new message
        return {
            "llm_requests": len(requests),
            "update_to_llm": [requests[t].at - at for t, at in delivered.items() if t in requests],
            "token_to_draft": self._token_to_draft(requests),
            "update_to_reply": [reply_at[t] - at for t, at in delivered.items() if t in reply_at],
        }

    def _token_to_draft(self, requests: dict) -> list[float]:
        """First text out of the LLM -> the chat's next visible text (draft or final message).

        An answer complete within the streamer's first-preview delay is sent as the final
        message without a draft; that message is then what the person sees first.
        """
        shown, gaps = {}, []
        for tag_text, request in requests.items():
            chat = int(TAG.search(tag_text)[1])
            if chat not in shown:
                drafts = [draft.at for draft in self.telegram.drafts(chat)]
                messages = [message.at for message in self.telegram.sent_messages(chat)]
                shown[chat] = sorted(drafts + messages)
            if request.first_chunk_at is None:
                continue
            later = [at for at in shown[chat] if at >= request.first_chunk_at]
            if later:
                gaps.append(later[0] - request.first_chunk_at)
        return gaps


def check_delivery(tags_by_chat: dict[int, list], per_chat: int) -> dict:
    """Lost, duplicated, unexpected and reordered replies, counted against what was pushed."""
    lost = duplicated = unexpected = reordered = 0
    for chat, got in tags_by_chat.items():
        expected = [tag(chat, number) for number in range(per_chat)]
        counts = Counter(got)
        lost += sum(1 for item in expected if counts[item] == 0)
        duplicated += sum(counts[item] - 1 for item in expected if counts[item] > 1)
        unexpected += sum(n for item, n in counts.items() if item not in expected)
        reordered += got != expected and sorted(got, key=str) == sorted(expected)
    return {
        "lost": lost,
        "duplicated": duplicated,
        "unexpected": unexpected,
        "reordered": reordered,
    }


def serve_host(connection) -> None:
    """The fakes' process: run `FakesHost` methods sent over the pipe until told to close."""
    host = FakesHost()
    while True:
        method, kwargs = connection.recv()
        if method == "close":
            host.stop()
            connection.send((True, None))
            return
        try:
            connection.send((True, getattr(host, method)(**kwargs)))
        except Exception:  # reported to the driver, which stops the benchmark
            connection.send((False, traceback.format_exc()))


class RemoteHost:
    """A `FakesHost` in a spawned process: its threads get their own interpreter and GIL."""

    def __init__(self):
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=serve_host, args=(child,), daemon=True)
        self._process.start()

    def call(self, method: str, **kwargs):
        self._connection.send((method, kwargs))
        ok, value = self._connection.recv()
        if not ok:
            raise RuntimeError(f"the fakes' process failed:\n{value}")
        return value

    def close(self) -> None:
        self.call("close")
        self._process.join(timeout=10)


class LocalHost:
    """A `FakesHost` in this process, to see how much sharing the GIL distorts the numbers."""

    def __init__(self):
        self._host = FakesHost()

    def call(self, method: str, **kwargs):
        return getattr(self._host, method)(**kwargs)

    def close(self) -> None:
        self._host.stop()


# ---- the bots' side ---------------------------------------------------------------------------


@contextmanager
def bench_database():
    """The shared benchmark set-up, with the flood limit out of the way of a load test."""
    from benchsetup import database_label, throwaway_database

    with throwaway_database(ASSISTANT_RATE_LIMIT_CALLS="1000000"):
        logging.getLogger("telegram").setLevel(logging.WARNING)  # no "Application started"
        print(f"database: {database_label()}")
        yield
        # The bot's database work ran in asgiref's thread: its connection must go before a
        # PostgreSQL test database can be dropped.
        from asgiref.sync import SyncToAsync
        from django.db import connections

        SyncToAsync.single_thread_executor.submit(connections.close_all).result()


PROMPTS = {
    "system": "You are a polite consultant of a small law firm.",
    "greeting": "Hello! I will help you choose a service.",
    "faq": "We accept cards. Consultations are online or in the office.",
    "contact_request": "Please leave your phone so a lawyer can call you.",
    "privacy_notice": "We keep your data only to answer you. {privacy_url}",
}


def seed(llm_url: str) -> None:
    """One default model on the fake LLM, prompts in both languages, a small catalog."""
    from assistant.models import LLMModel, LLMProvider
    from catalog.models import Service
    from conversations.models import Prompt

    provider = LLMProvider.objects.create(name="Fake", base_url=llm_url, api_key_env="")
    LLMModel.objects.create(
        provider=provider, model_id="fake-model", display_name="Fake", is_default=True
    )
    for key, text in PROMPTS.items():
        for language in ("ru", "en"):
            Prompt.objects.create(key=key, language=language, text=text)
    for number in range(5):
        Service.objects.create(
            titles={"ru": f"Услуга {number}", "en": f"Service {number}"},
            slug=f"service-{number}",
            price=3000,
        )


async def echo(update, context) -> None:
    await update.message.reply_text(update.message.text)


def echo_application(telegram_url: str):
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    from bot.application import MAX_CONCURRENT_UPDATES
    from tests.fakes.telegram_server import TOKEN

    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{telegram_url}/bot")
        .concurrent_updates(MAX_CONCURRENT_UPDATES)
        .connection_pool_size(MAX_CONCURRENT_UPDATES)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return application


async def polling(application, work):
    """Run `work()` while the application polls, as `runbot` and the bot tests do."""
    from bot.application import ALLOWED_UPDATES

    async with application:
        await application.start()
        await application.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        try:
            return await work()
        finally:
            await application.updater.stop()
            await application.stop()


@dataclass
class Load:
    chats: int
    per_chat: int
    rate: float
    light_rate: float

    def chat_ids(self, first: int) -> list[int]:
        return list(range(first, first + self.chats))


async def drive(host, application, load: Load, paced: bool) -> dict:
    """Warm up and push a burst; if `paced`, the load at --rate and a light one, on new chats."""

    async def run(chats, per_chat, rate):
        timeout = 60 + (len(chats) * per_chat / rate if rate else 0)
        kwargs = {"chats": chats, "per_chat": per_chat, "rate": rate, "timeout": timeout}
        cpu = time.process_time()
        result = await asyncio.to_thread(host.call, "run", **kwargs)
        return {**result, "cpu_seconds": time.process_time() - cpu}

    async def work():
        await run(list(range(900_000, 900_000 + WARM_UP_CHATS)), 1, None)
        results = {"burst": await run(load.chat_ids(1), load.per_chat, None)}
        if paced:
            results["paced"] = await run(load.chat_ids(100_001), load.per_chat, load.rate)
            results["light"] = await run(load.chat_ids(200_001), 1, load.light_rate)
        return results

    return await polling(application, work)


async def benchmark(host, load: Load) -> dict:
    from asgiref.sync import sync_to_async
    from assistant.dialog import reset_limiter
    from django.db import connections

    from assistant.gateway import close_clients
    from bot.application import build_application
    from tests.fakes.telegram_server import TOKEN

    urls = await asyncio.to_thread(host.call, "start")
    echo_results = await drive(host, echo_application(urls["telegram"]), load, paced=False)
    await asyncio.to_thread(host.call, "stop")

    urls = await asyncio.to_thread(host.call, "start")
    await sync_to_async(seed, thread_sensitive=True)(urls["llm"])
    reset_limiter()
    application = build_application(token=TOKEN, api_base_url=urls["telegram"])
    real_results = await drive(host, application, load, paced=True)
    await close_clients()
    await sync_to_async(connections.close_all, thread_sensitive=True)()
    await asyncio.to_thread(host.call, "stop")
    return {"echo": echo_results["burst"], "real": real_results.pop("burst"), **real_results}


# ---- the report -------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def throughput(result: dict) -> float:
    return result["count"] / result["seconds"]


def cpu_per_update(result: dict) -> str:
    """CPU time of the bots' process (all its threads) per update: where the budget goes."""
    return f"{result['cpu_seconds'] / result['count'] * 1000:.1f} ms"


def delivery(result: dict) -> str:
    keys = ("lost", "duplicated", "unexpected", "reordered")
    return " / ".join(str(result[key]) for key in keys)


def delivery_row(name: str, result: dict, checked: bool = True) -> tuple:
    ok = not any(result[key] for key in ("lost", "duplicated", "unexpected", "reordered"))
    return name, delivery(result), "0 / 0 / 0 / 0" if checked else "info", ok if checked else None


def latency_row(name: str, result: dict, key: str, checked: bool) -> tuple:
    values = result[key]
    p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
    value = f"{p50:.1f} / {p99:.1f} ms"
    if len(values) != result["count"]:
        value += f" (n={len(values)} of {result['count']})"
    if not checked:
        return name, value, "info", None
    ok = p99 < MAX_P99_MS and len(values) == result["count"]
    return name, value, f"p99 < {MAX_P99_MS:.0f} ms", ok


def paced_rows(result: dict, checked: bool) -> list[tuple]:
    rate = result["count"] / result["push_seconds"]
    return [
        delivery_row(f"real @{rate:.0f}/s: lost/dup/unexpected/reordered", result, checked),
        latency_row(
            f"real @{rate:.0f}/s: update -> LLM request p50/p99", result, "update_to_llm", checked
        ),
        latency_row(
            f"real @{rate:.0f}/s: first token -> first visible text p50/p99",
            result,
            "token_to_draft",
            checked,
        ),
        latency_row(
            f"real @{rate:.0f}/s: update -> final reply p50/p99", result, "update_to_reply", False
        ),
    ]


def report(results: dict, load: Load, where: str) -> bool:
    echo, real = results["echo"], results["real"]
    ratio = throughput(real) / throughput(echo)
    rows = [
        ("echo: throughput (burst)", f"{throughput(echo):.0f} updates/s", "info", None),
        ("echo: CPU per update", cpu_per_update(echo), "info", None),
        delivery_row("echo: lost/dup/unexpected/reordered", echo, checked=False),
        ("real: throughput (burst)", f"{throughput(real):.0f} updates/s", "info", None),
        ("real: CPU per update", cpu_per_update(real), "info", None),
        ("real / echo throughput", f"{ratio:.0%}", f">= {MIN_RATIO:.0%}", ratio >= MIN_RATIO),
        delivery_row("real: lost/dup/unexpected/reordered", real),
        *paced_rows(results["paced"], checked=True),
        *paced_rows(results["light"], checked=False),
    ]
    print(
        f"\nburst and @{load.rate:.0f}/s: {load.chats} chats x {load.per_chat} messages; "
        f"light load: {load.chats} x 1 at {load.light_rate:.0f}/s; fakes {where}\n"
    )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    header = ("metric", "value", "target", "result")
    print("  ".join(h.ljust(w) for h, w in zip(header, [*widths, 6], strict=True)).rstrip())
    for name, value, target, ok in rows:
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        cells = [name.ljust(widths[0]), value.ljust(widths[1]), target.ljust(widths[2]), verdict]
        print("  ".join(cells).rstrip())
    return all(row[3] for row in rows if row[3] is not None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--per-chat", type=int, default=5)
    parser.add_argument("--rate", type=float, default=100.0, help="updates/s for latencies")
    parser.add_argument(
        "--light-rate", type=float, default=20.0, help="updates/s of the light-load run (info)"
    )
    parser.add_argument(
        "--fakes-in-process",
        action="store_true",
        help="run the fakes in this process's threads instead of a separate process",
    )
    args = parser.parse_args()
    load = Load(args.chats, args.per_chat, args.rate, args.light_rate)
    host = LocalHost() if args.fakes_in_process else RemoteHost()
    try:
        with bench_database():
            results = asyncio.run(benchmark(host, load))
    finally:
        host.close()
    where = "in this process" if args.fakes_in_process else "in a separate process"
    return 0 if report(results, load, where) else 1


if __name__ == "__main__":
    sys.exit(main())
