"""Benchmark: the real bot against the fake Bot API and an instant fake LLM, beside an echo bot.

    .venv/bin/python bench/bot_throughput.py [--chats 200] [--per-chat 5] [--rate 100]
                                             [--light-rate 20] [--cap 600] [--fakes-in-process]

Both bots run on the same fakes (`tests/fakes`), by default in a separate process so the fakes'
HTTP threads do not share the bots' GIL (see bench/README.md):

* echo   - a bare python-telegram-bot Application, one handler: `reply_text(message.text)`;
* real   - `bot.application.build_application(...)` run as `runbot` runs it (`bot.serving`:
           long polling into the inbox, handled from it in order per chat): every handler,
           the 429 limiter, the reply pipeline on a throwaway database (SQLite, or PostgreSQL
           when DATABASE_URL names one), and an LLM that answers at once in one chunk.

Each bot first answers a few warm-up messages on other chats. Then a burst: every message of
every chat pushed at once; throughput = replies delivered / (first push -> the last of them).
Then, for the real bot only, the same load paced at --rate updates/s, and one message per chat
at --light-rate (for reference), on new chats, for latencies. Each run waits for every reply:
one missing when the bot has gone quiet is lost, one missing --cap seconds after the last push
is in flight, reported apart (see throughput_fakes.py). The fakes' side of the benchmark is in
throughput_fakes.py. Latencies:

* update -> LLM request: getUpdates handing the update out -> the request reaching the fake LLM;
* first token -> first visible text: the fake LLM writing the first text -> the chat's next
  draft or message (an answer complete at once goes out as the message, without a draft).

Targets: no lost, duplicated or reordered reply; real throughput >= 60% of the echo bot's;
p99 of both latencies < 50 ms at 100 updates/s. The exit status is 1 when a target is missed.
"""

import argparse
import asyncio
import logging
import statistics
import sys
import time
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from throughput_fakes import QUIET_SECONDS, LocalHost, RemoteHost

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before the fakes' process is spawned: it inherits sys.path

MIN_RATIO = 0.6
MAX_P99_MS = 50.0
WARM_UP_CHATS = 20
#: Seconds a run waits for its replies after the last push, at most (see throughput_fakes.py).
DEFAULT_CAP = 600.0


# ---- the bots' side ---------------------------------------------------------------------------


@contextmanager
def bench_database():
    """The shared benchmark set-up, with the flood limit out of the way of a load test."""
    from benchsetup import database_label, throwaway_database

    from tests.fakes.telegram_server import TOKEN

    with throwaway_database(ASSISTANT_RATE_LIMIT_CALLS="1000000", TELEGRAM_BOT_TOKEN=TOKEN):
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
    """One default model on the fake LLM, prompts in both languages, a small catalog (the
    fake's bot is made by the migration from `TELEGRAM_BOT_TOKEN`, as on an upgraded install)."""
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


@asynccontextmanager
async def echo_running(application):
    """The echo bot as a bare python-telegram-bot Application runs: its own updater polls."""
    from bot.application import ALLOWED_UPDATES

    async with application:
        await application.start()
        await application.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()


@asynccontextmanager
async def real_running(telegram_url: str):
    """The real bot as `runbot` runs it: long polling into the inbox, handled from there."""
    from bot.serving import serving

    async with serving(api_base_url=telegram_url, drain_seconds=30, long_poll_seconds=1):
        yield


@dataclass
class Load:
    chats: int
    per_chat: int
    rate: float
    light_rate: float
    cap: float

    def chat_ids(self, first: int) -> list[int]:
        return list(range(first, first + self.chats))


async def drive(host, running, load: Load, paced: bool) -> dict:
    """Warm up and push a burst; if `paced`, the load at --rate and a light one, on new chats.

    `running` is the bot, running while its block lasts.
    """

    async def run(chats, per_chat, rate):
        kwargs = {"chats": chats, "per_chat": per_chat, "rate": rate, "cap": load.cap}
        cpu = time.process_time()
        result = await asyncio.to_thread(host.call, "run", **kwargs)
        return {**result, "cpu_seconds": time.process_time() - cpu}

    async with running:
        await run(list(range(900_000, 900_000 + WARM_UP_CHATS)), 1, None)
        results = {"burst": await run(load.chat_ids(1), load.per_chat, None)}
        if paced:
            results["paced"] = await run(load.chat_ids(100_001), load.per_chat, load.rate)
            results["light"] = await run(load.chat_ids(200_001), 1, load.light_rate)
    return results


async def benchmark(host, load: Load) -> dict:
    from asgiref.sync import sync_to_async
    from django.db import connections

    urls = await asyncio.to_thread(host.call, "start")
    echo_bot = echo_running(echo_application(urls["telegram"]))
    echo_results = await drive(host, echo_bot, load, paced=False)
    await asyncio.to_thread(host.call, "stop")

    urls = await asyncio.to_thread(host.call, "start")
    await sync_to_async(seed, thread_sensitive=True)(urls["llm"])
    real_bot = real_running(urls["telegram"])
    real_results = await drive(host, real_bot, load, paced=True)
    await sync_to_async(connections.close_all, thread_sensitive=True)()
    await asyncio.to_thread(host.call, "stop")
    return {"echo": echo_results["burst"], "real": real_results.pop("burst"), **real_results}


# ---- the report -------------------------------------------------------------------------------

PROBLEMS = ("lost", "duplicated", "unexpected", "reordered")


def percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def throughput(result: dict) -> float:
    """Replies delivered / seconds from the first push to the last of them."""
    return result["delivered"] / result["seconds"] if result["seconds"] > 0 else 0.0


def cpu_per_update(result: dict) -> str:
    """CPU time of the bots' process (all its threads) per update: where the budget goes."""
    return f"{result['cpu_seconds'] / result['count'] * 1000:.1f} ms"


def throughput_row(name: str, result: dict) -> tuple:
    replies = f"{result['delivered']} of {result['count']} replies"
    return name, f"{throughput(result):.0f} replies/s ({replies})", "info", None


def delivery_rows(name: str, result: dict, cap: float, checked: bool = True) -> list[tuple]:
    """Lost/duplicated/unexpected/reordered (the target), and the replies still in flight."""
    ok = not any(result[key] for key in PROBLEMS)
    value = " / ".join(str(result[key]) for key in PROBLEMS)
    return [
        (
            f"{name}: lost/dup/unexpected/reordered",
            value,
            "0 / 0 / 0 / 0" if checked else "info",
            ok if checked else None,
        ),
        (f"{name}: in flight at the {cap:.0f} s cap", str(result["in_flight"]), "info", None),
    ]


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


def paced_rows(result: dict, cap: float, checked: bool) -> list[tuple]:
    name = f"real @{result['count'] / result['push_seconds']:.0f}/s"
    return [
        *delivery_rows(name, result, cap, checked),
        latency_row(f"{name}: update -> LLM request p50/p99", result, "update_to_llm", checked),
        latency_row(
            f"{name}: first token -> first visible text p50/p99",
            result,
            "token_to_draft",
            checked,
        ),
        latency_row(f"{name}: update -> final reply p50/p99", result, "update_to_reply", False),
    ]


def report(results: dict, load: Load, where: str) -> bool:
    echo, real = results["echo"], results["real"]
    ratio = throughput(real) / throughput(echo) if throughput(echo) else 0.0
    rows = [
        throughput_row("echo: throughput (burst)", echo),
        ("echo: CPU per update", cpu_per_update(echo), "info", None),
        *delivery_rows("echo", echo, load.cap, checked=False),
        throughput_row("real: throughput (burst)", real),
        ("real: CPU per update", cpu_per_update(real), "info", None),
        ("real / echo throughput", f"{ratio:.0%}", f">= {MIN_RATIO:.0%}", ratio >= MIN_RATIO),
        *delivery_rows("real", real, load.cap),
        *paced_rows(results["paced"], load.cap, checked=True),
        *paced_rows(results["light"], load.cap, checked=False),
    ]
    print(
        f"\nburst and @{load.rate:.0f}/s: {load.chats} chats x {load.per_chat} messages; "
        f"light load: {load.chats} x 1 at {load.light_rate:.0f}/s; fakes {where}; "
        f"each run waits for every reply (the bot quiet for {QUIET_SECONDS:.0f} s: lost; "
        f"after {load.cap:.0f} s: in flight)\n"
    )
    return print_targets(rows)


def print_targets(rows: list[tuple]) -> bool:
    """Print (metric, value, target, ok) rows, ok None for information; whether all passed."""
    verdicts = {None: "", True: "PASS", False: "FAIL"}
    print_table(("metric", "value", "target", "result"), [(*r[:3], verdicts[r[3]]) for r in rows])
    return all(row[3] for row in rows if row[3] is not None)


def print_table(header: tuple, rows: list[tuple]) -> None:
    """Columns padded to their widest cell."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--per-chat", type=int, default=5)
    parser.add_argument("--rate", type=float, default=100.0, help="updates/s for latencies")
    parser.add_argument(
        "--light-rate", type=float, default=20.0, help="updates/s of the light-load run (info)"
    )
    parser.add_argument(
        "--cap",
        type=float,
        default=DEFAULT_CAP,
        help="seconds a run waits for its replies after the last push, at most",
    )
    parser.add_argument(
        "--fakes-in-process",
        action="store_true",
        help="run the fakes in this process's threads instead of a separate process",
    )
    args = parser.parse_args()
    load = Load(args.chats, args.per_chat, args.rate, args.light_rate, args.cap)
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
