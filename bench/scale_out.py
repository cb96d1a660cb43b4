"""Benchmark: the bot's topologies side by side, each as real processes, on the same fakes.

    .venv/bin/python bench/scale_out.py [--chats 100] [--per-chat 4] [--paced 200] [--cap 300]
                                        [--logs DIR]

In one run, against one fake Bot API and one instant fake LLM (`tests/fakes`, in a process of
their own: see throughput_fakes.py), four topologies take the same load in turn:

* echo               - a bare python-telegram-bot echo bot (bot_throughput.py's), one process;
* runbot (SQLite)    - `manage.py runbot`: long polling into the inbox, handled in-process;
* webhook + 1 worker - uvicorn serving `config.asgi` (updates posted to /telegram/webhook/<bot>/
  (PostgreSQL)         with the secret header, as Telegram posts them) and `manage.py runworker`;
* webhook + 2 workers - the same with two `runworker` processes.

For each: a warm-up, a burst (every message of --chats x --per-chat pushed at once), --paced new
chats with one message each paced at half the burst's throughput, then 10 people writing at
once (10 new chats, one message each, pushed together). Measured:

* CPU ms per message: utime + stime of every process of the topology (/proc/<pid>/stat) over
  the burst, divided by its messages; on PostgreSQL the database server's backends of the
  topology are shown beside it (info);
* throughput: replies delivered / time from the first push to the last of them, in the burst;
* at half capacity: update taken -> LLM request p50/p99, update taken -> first feedback (the
  chat's first draft, "typing" or message) p99;
* 10 at once: the longest time from a message being sent to its chat's first feedback, and
  to its LLM request.

Targets (issue 10): CPU per message <= 2.5x the echo bot's; update -> LLM request p99 <= 50 ms
and first feedback p99 <= 50 ms at half capacity; 10 at once: every first feedback <= 100 ms
and every LLM request <= 150 ms after its message; no lost, duplicated or reordered reply; two
workers >= 1.7x one worker's throughput when the machine has the cores for it. The exit status
is 1 when a target is missed; everything is printed either way.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot_throughput import (  # it puts the project on sys.path before the fakes' process starts
    MAX_P99_MS,
    PROBLEMS,
    ROOT,
    WARM_UP_CHATS,
    echo_application,
    echo_running,
    percentile,
    print_table,
    print_targets,
    seed,
    throughput,
)
from throughput_fakes import RemoteHost

MAX_CPU_RATIO = 2.5
MAX_TOGETHER_FEEDBACK_MS = 100.0
MAX_TOGETHER_LLM_MS = 150.0
MIN_SCALING = 1.7
#: Two workers can only double when each has a core, beside the web process and PostgreSQL.
CORES_FOR_SCALING = 4
TOGETHER = 10
WEBHOOK_SECRET = "scale-out-benchmark-secret"  # noqa: S105 (a throwaway site's)
#: The PostgreSQL server used when DATABASE_URL names none; its database is not touched
#: (a throwaway `test_bench_scale_out` is created beside it and dropped).
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/bench_scale_out"
START_SECONDS = 60.0
STOP_SECONDS = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---- processes ------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Topology:
    """A way of running the bot: its processes' command lines, the environment they share,
    and, behind a webhook, where Telegram posts updates and how many job workers start."""

    name: str
    commands: dict[str, list[str]]
    environment: dict[str, str]
    database: str
    web_port: int | None = None
    job_workers: int = 0
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def webhook(self) -> dict | None:
        if self.web_port is None:
            return None
        from bot.webhook import bot_webhook_secret
        from bots.tokens import telegram_id_of
        from tests.fakes.telegram_server import TOKEN

        bot = telegram_id_of(TOKEN)
        url = f"http://127.0.0.1:{self.web_port}/telegram/webhook/{bot}/"
        return {"url": url, "secret": bot_webhook_secret(bot, WEBHOOK_SECRET)}

    @contextmanager
    def running(self, logs: Path):
        """Its processes while the block runs (the web one listening, every job worker
        registered); stopped after, their output printed if one of them ended before."""
        for label, command in self.commands.items():
            with (logs / f"{self.name}-{label}.log".replace(" ", "_")).open("w") as output:
                self.processes.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=self.environment,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
        try:
            self._wait_until_ready()
            yield self
        finally:
            self._stop(logs)

    def cpu_seconds(self) -> dict[str, float]:
        """Each process's CPU seconds so far, by its label."""
        return {
            label: cpu_seconds(process.pid)
            for label, process in zip(self.commands, self.processes, strict=True)
        }

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not (self._listening() and self._workers_registered()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: not ready within {START_SECONDS:.0f} s")
            time.sleep(0.2)

    def _workers_registered(self) -> bool:
        return not self.job_workers or registered_job_workers() >= self.job_workers

    def _listening(self) -> bool:
        if self.web_port is None:
            return True
        try:
            socket.create_connection(("127.0.0.1", self.web_port), timeout=1).close()
        except OSError:
            return False
        return True

    def _stop(self, logs: Path) -> None:
        died = [process for process in self.processes if process.poll() is not None]
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if died:
            for log in sorted(logs.glob(f"{self.name}-*.log".replace(" ", "_"))):
                print(f"----- {log.name} -----\n{log.read_text(errors='replace')[-5000:]}")


def child_environment(database_url: str, telegram_url: str) -> dict[str, str]:
    """What every process of the bot is started with: the fakes, the throwaway database, no
    flood limit in the way, production-like settings, no `.env`."""
    from tests.fakes.telegram_server import TOKEN

    return {
        **os.environ,
        "ENV_FILE": "/nonexistent/.env",
        "SECRET_KEY": "benchmark-only-secret-key",
        "DEBUG": "False",
        "SECURE_SSL_REDIRECT": "False",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": telegram_url,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LOG_SINKS": "console",
        "LOG_LEVEL": "WARNING",
        "ASSISTANT_RATE_LIMIT_CALLS": "1000000",
        "LLM_DEFAULT_MODEL": "",
        "LLM_FALLBACK_MODEL": "",
        "SHUTDOWN_DRAIN_SECONDS": "5",
        "METRICS_PORT": "0",
    }


def manage(command: str) -> list[str]:
    return [sys.executable, "manage.py", command, "--allow-missing-key"]


def topologies(telegram_url: str, sqlite_url: str, postgres_url: str) -> list[Topology]:
    script = [sys.executable, str(Path(__file__).resolve())]
    on_sqlite = child_environment(sqlite_url, telegram_url)
    on_postgres = child_environment(postgres_url, telegram_url)
    web_ports = free_port(), free_port()

    def webhook(workers: int, port: int) -> Topology:
        web = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"]
        web += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
        name = f"webhook + {workers} worker{'s' if workers > 1 else ''}"
        commands = {"uvicorn": web}
        commands.update({f"runworker {n + 1}": manage("runworker") for n in range(workers)})
        return Topology(
            name, commands, on_postgres, "PostgreSQL", web_port=port, job_workers=workers
        )

    return [
        Topology("echo", {"echo": [*script, "--serve-echo", telegram_url]}, on_sqlite, "none"),
        Topology("runbot", {"runbot": manage("runbot")}, on_sqlite, "SQLite"),
        webhook(1, web_ports[0]),
        webhook(2, web_ports[1]),
    ]


# ---- one topology's runs -----------------------------------------------------------------------


@dataclass
class Load:
    chats: int
    per_chat: int
    paced: int
    cap: float


def registered_job_workers() -> int:
    """procrastinate workers running on the benchmark's PostgreSQL database (each registers
    when it starts and is removed when it stops)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_workers")
        return cursor.fetchone()[0]


def postgres_backends() -> dict[int, float]:
    """CPU seconds of each server process serving the benchmark's database, but this one's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid: cpu_seconds(pid) for (pid,) in cursor.fetchall()}


def measure(host, topology: Topology, load: Load, first_chat: int, logs: Path) -> dict:
    """Warm-up, burst (with the CPU it took), half capacity, then 10 at once."""

    def run(offset: int, chats: int, per_chat: int, rate: float | None) -> dict:
        ids = list(range(first_chat + offset, first_chat + offset + chats))
        return host.call(
            "run", chats=ids, per_chat=per_chat, rate=rate, cap=load.cap, webhook=topology.webhook
        )

    on_postgres = topology.database == "PostgreSQL"
    with topology.running(logs):
        run(0, WARM_UP_CHATS, 1, None)
        cpu, backends = topology.cpu_seconds(), postgres_backends() if on_postgres else {}
        burst = run(100_000, load.chats, load.per_chat, None)
        burst["process_cpu_seconds"] = {
            label: seconds - cpu[label] for label, seconds in topology.cpu_seconds().items()
        }
        burst["cpu_seconds"] = sum(burst["process_cpu_seconds"].values())
        if on_postgres:
            after = postgres_backends()
            burst["db_cpu_seconds"] = sum(after[p] - backends.get(p, 0.0) for p in after)
            burst["db_connections"] = len(after)
        half = throughput(burst) / 2
        paced = run(200_000, load.paced, 1, half) if half > 0 else None
        together = run(300_000, TOGETHER, 1, None)
    return {"burst": burst, "half": half, "paced": paced, "together": together}


# ---- the report -------------------------------------------------------------------------------


def ms(values: list[float], share: float) -> float:
    return percentile(values, share) * 1000 if values else float("nan")


def cpu_ms(result: dict, key: str = "cpu_seconds") -> float:
    return result["burst"][key] / result["burst"]["count"] * 1000


def topology_row(topology: Topology, result: dict, echo_cpu: float) -> tuple:
    burst, paced, together = result["burst"], result["paced"] or {}, result["together"]
    db = f" + {cpu_ms(result, 'db_cpu_seconds'):.1f} db" if "db_cpu_seconds" in burst else ""
    llm = paced.get("update_to_llm", [])
    llm_cell = f"{ms(llm, 0.5):.1f} / {ms(llm, 0.99):.1f}" if llm else "-"
    asked = together["sent_to_llm"]
    return (
        topology.name,
        f"{len(topology.commands)} ({topology.database})",
        f"{cpu_ms(result):.1f}{db}",
        f"{cpu_ms(result) / echo_cpu:.2f}x",
        f"{throughput(burst):.0f} ({burst['delivered']}/{burst['count']})",
        f"{result['half']:.0f}/s",
        llm_cell,
        f"{ms(paced.get('taken_to_feedback', []), 0.99):.1f}",
        f"{max(together['sent_to_feedback'], default=float('nan')) * 1000:.0f}",
        f"{max(asked) * 1000:.0f}" if asked else "-",
        f"{max(stored) * 1000:.0f}" if (stored := together.get("sent_to_stored")) else "-",
        " / ".join(str(burst[key]) for key in PROBLEMS) + f" ({burst['in_flight']} in flight)",
    )


HEADER = (
    "topology",
    "processes",
    "CPU ms/msg",
    "x echo",
    "burst msgs/s",
    "half",
    "upd->LLM p50/p99 ms",
    "feedback p99 ms",
    "10: max feedback ms",
    "10: max LLM ms",
    "10: max stored ms",
    "lost/dup/unexp/reord",
)


def target_rows(name: str, result: dict, echo_cpu: float) -> list[tuple]:
    """The targets each of our topologies is judged on."""
    paced, together = result["paced"] or {}, result["together"]
    ratio = cpu_ms(result) / echo_cpu
    llm_p99 = ms(paced.get("update_to_llm", []), 0.99)
    feedback_p99 = ms(paced.get("taken_to_feedback", []), 0.99)
    feedback_max = max(together["sent_to_feedback"], default=float("inf")) * 1000
    asked_max = max(together["sent_to_llm"], default=float("inf")) * 1000
    complete = all(len(together[key]) == TOGETHER for key in ("sent_to_feedback", "sent_to_llm"))
    problems = [result[run][key] for run in ("burst", "together") for key in PROBLEMS]
    return [
        (
            f"{name}: CPU per message / echo",
            f"{ratio:.2f}x",
            f"<= {MAX_CPU_RATIO}x",
            ratio <= MAX_CPU_RATIO,
        ),
        (
            f"{name}: update -> LLM p99 at half",
            f"{llm_p99:.1f} ms",
            f"<= {MAX_P99_MS:.0f} ms",
            llm_p99 <= MAX_P99_MS,
        ),
        (
            f"{name}: first feedback p99 at half",
            f"{feedback_p99:.1f} ms",
            f"<= {MAX_P99_MS:.0f} ms",
            feedback_p99 <= MAX_P99_MS,
        ),
        (
            f"{name}: 10 at once, max first feedback",
            f"{feedback_max:.0f} ms",
            f"<= {MAX_TOGETHER_FEEDBACK_MS:.0f} ms",
            complete and feedback_max <= MAX_TOGETHER_FEEDBACK_MS,
        ),
        (
            f"{name}: 10 at once, max LLM request",
            f"{asked_max:.0f} ms",
            f"<= {MAX_TOGETHER_LLM_MS:.0f} ms",
            complete and asked_max <= MAX_TOGETHER_LLM_MS,
        ),
        (f"{name}: lost/dup/unexp/reordered", str(sum(problems)), "0", not any(problems)),
    ]


def scaling_row(one: dict, two: dict, cores: int) -> tuple:
    ratio = throughput(two["burst"]) / max(throughput(one["burst"]), 1e-9)
    if cores >= CORES_FOR_SCALING:
        return (
            "2 workers / 1 worker throughput",
            f"{ratio:.2f}x",
            f">= {MIN_SCALING}x",
            (ratio >= MIN_SCALING),
        )
    target = f">= {MIN_SCALING}x with {CORES_FOR_SCALING}+ cores; {cores} here: not judged"
    return "2 workers / 1 worker throughput", f"{ratio:.2f}x", target, None


def print_cpu_shares(runs: list[tuple[Topology, dict]]) -> None:
    """Each topology's CPU per message split by process, and the database connections it held."""
    for topology, result in runs:
        burst = result["burst"]
        shares = [
            f"{label} {seconds / burst['count'] * 1000:.1f}"
            for label, seconds in burst["process_cpu_seconds"].items()
        ]
        connections = burst.get("db_connections")
        held = (
            f"; PostgreSQL connections open after the burst: {connections}" if connections else ""
        )
        print(f"  CPU ms/msg of {topology.name}: {', '.join(shares)}{held}")


def report(runs: list[tuple[Topology, dict]], load: Load) -> bool:
    cores = len(os.sched_getaffinity(0))
    print(
        f"\ncores: os.cpu_count() = {os.cpu_count()}, usable (sched_getaffinity) = {cores}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
        f"burst: {load.chats} chats x {load.per_chat} messages at once; half: {load.paced} new "
        f"chats x 1 at half the burst's throughput; 10: {TOGETHER} new chats x 1 at once\n"
        "CPU: every process of the topology over the burst (+ db: its PostgreSQL backends); "
        "feedback: update taken -> the chat's first draft/typing/message; 10: after the "
        "message was sent (stored: the webhook answered 200)\n"
    )
    echo_cpu = cpu_ms(runs[0][1])
    print_table(HEADER, [topology_row(t, r, echo_cpu) for t, r in runs])
    print_cpu_shares(runs)
    print()
    rows = [
        row for topology, result in runs[1:] for row in target_rows(topology.name, result, echo_cpu)
    ]
    rows.append(scaling_row(runs[2][1], runs[3][1], cores))
    refused = Counter()
    for _topology, result in runs:
        for run in ("burst", "paced", "together"):
            refused.update((result[run] or {}).get("webhook_refused", {}))
    reasons = ", ".join(f"{reason}: {count}" for reason, count in refused.most_common())
    value = f"{refused.total()}" + (f" ({reasons})" if reasons else "")
    rows.append(("webhook posts not answered 200 (posted again)", value, "info", None))
    return print_targets(rows)


# ---- the child processes of the benchmark --------------------------------------------------


def serve_echo(telegram_url: str) -> None:
    """The echo bot as a process of its own, until SIGTERM."""
    import asyncio

    from benchsetup import configure

    configure("sqlite:///:memory:", {})
    from bot.management.bot_process import until_stopped

    async def serve():
        async with echo_running(echo_application(telegram_url)):
            await until_stopped(())

    asyncio.run(serve())


def prepare_sqlite(path: str, llm_url: str) -> None:
    """`runbot`'s SQLite database: migrated and seeded like bot_throughput.py's."""
    from benchsetup import configure

    configure(f"sqlite:///{path}", {})
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed(llm_url)


# ---- the run ----------------------------------------------------------------------------------


def postgres_server_url() -> str:
    named = os.environ.get("DATABASE_URL", "")
    return named if named.startswith("postgres") else DEFAULT_POSTGRES


def benchmark(load: Load, logs: Path | None) -> bool:
    """Every topology measured on one pair of fakes; whether every target was met."""
    from benchsetup import database_label, throwaway_database

    os.environ["DATABASE_URL"] = postgres_server_url()
    host = RemoteHost()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as directory:
        try:
            with throwaway_database():
                print(f"databases: SQLite (runbot), {database_label()} (webhook + workers)")
                runs = measure_all(host, load, Path(directory), logs or Path(directory))
        finally:
            host.close()
    return report(runs, load)


def measure_all(host, load: Load, work: Path, logs: Path) -> list[tuple[Topology, dict]]:
    """Both databases seeded against the fakes, then each topology in turn."""
    from django.db import connection

    urls = host.call("start")
    seed(urls["llm"])
    sqlite = work / "runbot.sqlite3"
    script = [sys.executable, str(Path(__file__).resolve())]
    subprocess.run([*script, "--prepare-sqlite", str(sqlite), urls["llm"]], check=True)
    postgres = urlsplit(postgres_server_url())
    postgres_url = postgres._replace(path=f"/{connection.settings_dict['NAME']}").geturl()
    runs = []
    for number, topology in enumerate(
        topologies(urls["telegram"], f"sqlite:///{sqlite}", postgres_url)
    ):
        print(f"measuring {topology.name} ...", flush=True)
        first_chat = (number + 1) * 1_000_000
        runs.append((topology, measure(host, topology, load, first_chat, logs)))
    connection.close()
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=100, help="chats of the burst")
    parser.add_argument("--per-chat", type=int, default=4, help="messages per chat in the burst")
    parser.add_argument(
        "--paced", type=int, default=200, help="messages (one per chat) at half capacity"
    )
    parser.add_argument(
        "--cap", type=float, default=300.0, help="seconds a run waits for its replies, at most"
    )
    parser.add_argument(
        "--logs", type=Path, help="a folder to keep each process's output in (default: none)"
    )
    parser.add_argument("--serve-echo", metavar="TELEGRAM_URL", help=argparse.SUPPRESS)
    parser.add_argument("--prepare-sqlite", nargs=2, metavar="PATH LLM_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_echo:
        serve_echo(args.serve_echo)
        return 0
    if args.prepare_sqlite:
        prepare_sqlite(*args.prepare_sqlite)
        return 0
    load = Load(args.chats, args.per_chat, args.paced, args.cap)
    return 0 if benchmark(load, args.logs) else 1


if __name__ == "__main__":
    sys.exit(main())
