"""The Procfile's processes (web, bot, worker) run together without Docker, as `make prod-local`
starts them: on PostgreSQL they answer a person and report it on /readyz and /metrics."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateWorker

from tests.fakes.telegram_server import TOKEN
from tests.ops.scraping import TOKEN as METRICS_TOKEN
from tests.ops.scraping import samples

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHAT = 4646


def test_make_prod_local_says_it_needs_postgresql(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    result = subprocess.run(
        # -o: take the virtualenv and .env as they are (never reinstall from a test).
        ["make", "-s", "-o", ".venv/.installed", "-o", ".env", "prod-local"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "make prod-local runs on PostgreSQL: set DATABASE_URL" in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def the_test_database_url() -> str:
    params = connection.settings_dict
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    host = params["HOST"] or "127.0.0.1"
    return f"postgres://{params['USER']}{password}@{host}:{params['PORT'] or 5432}/{params['NAME']}"


def get(url: str, **headers) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""  # not listening yet


def wait_until(check, what: str, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.2)
    return result


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the Procfile's topology runs on PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_the_procfiles_processes_answer_and_report_it(
    fake_telegram, fake_openai, prompts, llm_model, tmp_path
):
    port = free_port()
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")},
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "ENV_FILE": "/nonexistent/.env",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": the_test_database_url(),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake_telegram.base_url,
        "METRICS_TOKEN": METRICS_TOKEN,
        "LOG_SINKS": "console",
        "LLM_DEFAULT_MODEL": "",
    }
    log = tmp_path / "honcho.log"
    started = timezone.now()
    with log.open("w") as output:
        honcho = subprocess.Popen(
            [BIN / "honcho", "start", "--env", "/dev/null", "--port", str(port), "--no-colour"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get(f"{base}/readyz")[0] == 200, "the web process is ready")
        # The bot's own job workers and the worker process's have said they are alive.
        alive = ProcrastinateWorker.objects.filter(last_heartbeat__gte=started)
        wait_until(lambda: alive.count() == 2, "the bot and the worker take jobs")
        fake_telegram.wait_for(lambda: fake_telegram.commands("ru"), 90, "the bot's menu")
        fake_telegram.push_message(CHAT, "How much is an audit?")
        fake_telegram.wait_for_messages(CHAT, 1, timeout=90)

        def scraped():
            status, page = get(f"{base}/metrics", Authorization=f"Bearer {METRICS_TOKEN}")
            numbers = samples(page) if status == 200 else {}
            handled = numbers.get(("consult_inbox_received_updates", ("state", "done"))) == 1
            return handled and numbers.get(("consult_inbox_waiting_updates",)) == 0 and numbers

        page = wait_until(scraped, "the handled update on /metrics, none waiting")
        assert page[("consult_llm_replies", ("model", "fake-model"), ("status", "complete"))] == 1
        assert get(f"{base}/healthz")[0] == 200
    finally:
        honcho.send_signal(signal.SIGTERM)
        honcho.wait(timeout=60)
    output = log.read_text()
    assert "Bot stopped" in output, output
    assert "Worker stopped" in output, output
