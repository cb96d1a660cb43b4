"""The bot as real processes (`runbot` and `runworker`) on the test's PostgreSQL database.

Data the test creates is committed (`transactional_db`), so the processes see it; what they
did is read back from the database and from the fakes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection, connections

from bot.models import InboundUpdate
from tests.fakes.openai_server import Reply
from tests.fakes.telegram_server import TOKEN
from tests.processes.db_proxy import DatabaseProxy

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STOP_SECONDS = 30


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
    """One `manage.py` process of the bot; its output goes to a file, shown on failure."""

    def __init__(self, command: str, environment: dict, log: Path):
        self.command = command
        self.environment = environment
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", self.command, "--allow-missing-key"],
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


@pytest.fixture
def database_proxy(transactional_db):
    """A proxy to the test database the test can cut; closed after the bot's processes."""
    params = connection.settings_dict
    proxy = DatabaseProxy((params["HOST"] or "127.0.0.1", int(params["PORT"] or 5432)))
    yield proxy
    proxy.close()


@pytest.fixture
def bot_processes(request, tmp_path, fake_telegram, fake_openai, prompts, llm_model):
    """A function starting `runbot` and `runworker` against the fakes (DATABASE_URL at
    `port` when given); all stopped after the test, their output printed if it failed."""
    fake_openai.default = echo_reply
    started: list[BotProcess] = []

    def start(port: int | None = None) -> tuple[BotProcess, BotProcess]:
        environment = {
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
        for command in ("runbot", "runworker"):
            process = BotProcess(command, environment, tmp_path / f"{command}.log")
            process.start()
            started.append(process)
        return started[0], started[1]

    yield start
    for process in started:
        process.stop()
    if request.node.stash.get(FAILED, False):
        for process in started:
            print(f"----- {process.command} -----\n{process.output()[-20000:]}")
    connections.close_all()


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `predicate` until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)


def inbox_settled() -> bool:
    """Every stored update was handled or failed, and no job is left to run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
        [jobs] = cursor.fetchone()
    waiting = InboundUpdate.objects.filter(state=InboundUpdate.State.QUEUED).exists()
    return jobs == 0 and not waiting
