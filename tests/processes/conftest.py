"""The bot as real processes on the test's PostgreSQL database: `runbot` and `runworker`
(long polling), or uvicorn serving the webhook and `runworker` (Telegram's posts made by a
`WebhookPoster`).

Data the test creates is committed (`transactional_db`), so the processes see it; what they
did is read back from the database and from the fakes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection, connections

from bot.models import InboundUpdate
from bot.webhook import bot_webhook_secret
from bots.tokens import telegram_id_of
from tests.fakes.openai_server import Reply
from tests.fakes.telegram_server import TOKEN
from tests.fakes.webhook_poster import WebhookPoster
from tests.processes.db_proxy import DatabaseProxy

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STOP_SECONDS = 30
START_SECONDS = 60
WEBHOOK_SECRET = "process-test-webhook-secret"


def echo_reply(body: dict) -> Reply:
    """Answer "re: <the person's last message>", so each reply names what it answers."""
    text = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
    return Reply(text=f"re: {text}", chunk_size=50)


def knob(name: str, default: int) -> int:
    """A size of the test from the environment (the issue's full sizes run longer)."""
    return int(os.environ.get(name, default))


def database_url(port: int | None = None) -> str:
    """The test database, optionally through another port on this host (the proxy)."""
    params = connection.settings_dict
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    host = params["HOST"] or "127.0.0.1"
    return (
        f"postgres://{params['USER']}{password}@{host}:{port or params['PORT'] or 5432}"
        f"/{params['NAME']}"
    )


class BotProcess:
    """One process of the bot, `argv` run in the project; its output goes to a file, shown
    on failure."""

    def __init__(self, name: str, argv: list[str], environment: dict, log: Path):
        self.name = name
        self.argv = argv
        self.environment = environment
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                self.argv,
                cwd=BASE_DIR,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye, as a lost machine or the OOM killer ends it."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def manage(command: str) -> list[str]:
    return [sys.executable, "manage.py", command, "--allow-missing-key"]


def uvicorn(port: int) -> list[str]:
    """The web process as the Procfile starts it."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]


@dataclass
class WebhookSite:
    """The web process and its job workers; Telegram posts to `url` with `secret`."""

    web: BotProcess
    workers: list[BotProcess]
    url: str
    secret: str
    poster: WebhookPoster


@pytest.fixture
def database_proxy(transactional_db):
    """A proxy to the test database the test can cut; closed after the bot's processes."""
    params = connection.settings_dict
    proxy = DatabaseProxy((params["HOST"] or "127.0.0.1", int(params["PORT"] or 5432)))
    yield proxy
    proxy.close()


@pytest.fixture
def launch(request, tmp_path):
    """A function starting one process of the bot; all stopped after the test (in the order
    they started), their output printed if it failed."""
    started: list[BotProcess] = []

    def start(name: str, argv: list[str], environment: dict) -> BotProcess:
        process = BotProcess(name, argv, environment, tmp_path / f"{name}.log")
        process.start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
    if request.node.stash.get(FAILED, False):
        for process in started:
            print(f"----- {process.name} -----\n{process.output()[-20000:]}")
    connections.close_all()


@pytest.fixture
def bot_environment(fake_telegram, fake_openai, prompts, llm_model):
    """A function giving the environment of the bot's processes: the fakes (the LLM echoes),
    no `.env`, no flood limit in the way; DATABASE_URL at `port` when given."""
    fake_openai.default = echo_reply

    def environment(port: int | None = None) -> dict:
        return {
            **os.environ,
            "ENV_FILE": "/nonexistent/.env",
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": database_url(port),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": fake_telegram.base_url,
            "LOG_SINKS": "console",
            "ASSISTANT_RATE_LIMIT_CALLS": "100000",
            "LLM_DEFAULT_MODEL": "",
            "SHUTDOWN_DRAIN_SECONDS": "5",
        }

    return environment


@pytest.fixture
def bot_processes(launch, bot_environment):
    """A function starting `runbot` and `runworker` (DATABASE_URL at `port` when given)."""

    def start(port: int | None = None) -> tuple[BotProcess, BotProcess]:
        environment = bot_environment(port)
        return tuple(
            launch(command, manage(command), environment) for command in ("runbot", "runworker")
        )

    return start


@pytest.fixture
def webhook_processes(launch, bot_environment, fake_telegram):
    """A function starting the webhook topology: uvicorn serving `config.asgi` and `workers`
    `runworker` processes (DATABASE_URL at `port` when given), with a `WebhookPoster` in
    Telegram's place. Returns once the web process answers; the poster stops first after
    the test."""
    posters: list[WebhookPoster] = []

    def start(port: int | None = None, workers: int = 1) -> WebhookSite:
        environment = {
            **bot_environment(port),
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SECURE_SSL_REDIRECT": "False",  # plain HTTP on 127.0.0.1, as behind a proxy
        }
        web_port = free_port()
        web = launch("uvicorn", uvicorn(web_port), environment)
        job_workers = [
            launch(f"runworker {n + 1}", manage("runworker"), environment) for n in range(workers)
        ]
        root = f"http://127.0.0.1:{web_port}"
        wait_until(lambda: answers(f"{root}/healthz"), START_SECONDS, "the web process answers")
        bot = telegram_id_of(TOKEN)
        url = f"{root}/telegram/webhook/{bot}/"
        secret = bot_webhook_secret(bot, WEBHOOK_SECRET)
        poster = WebhookPoster(fake_telegram, url=url, secret=secret)
        posters.append(poster)
        return WebhookSite(web, job_workers, url, secret, poster)

    yield start
    for poster in posters:
        poster.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    """Whether a GET of `url` is answered 200."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    describe: Callable[[], str] | None = None,
) -> None:
    """Poll `predicate` until it holds; fail with `what` (and what `describe` says is still
    missing) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            missing = f" ({describe()})" if describe else ""
            raise AssertionError(f"{what}: not within {timeout:.0f} s{missing}")
        time.sleep(0.2)


def inbox_waiting() -> str:
    """Stored updates not handled or failed yet, and jobs by state, in words ("" if none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*) FROM procrastinate_jobs"
            " WHERE status IN ('todo', 'doing') GROUP BY status ORDER BY status"
        )
        jobs = [f"{count} {status}" for status, count in cursor.fetchall()]
    queued = InboundUpdate.objects.filter(state=InboundUpdate.State.QUEUED).count()
    return ", ".join([f"{queued} queued"] * bool(queued) + [f"jobs {' '.join(jobs)}"] * bool(jobs))
