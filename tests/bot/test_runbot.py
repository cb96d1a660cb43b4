"""`manage.py runbot`: clear errors without a token, clean start and stop with one."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from bot.intake import store_updates
from bot.models import InboundUpdate
from bots.tokens import is_valid_token, telegram_id_of
from tests.fakes.telegram_server import TOKEN

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(("token", "problem"), [("", "not set"), ("not-a-token", "malformed")])
def test_runbot_without_a_proper_token_says_what_to_set_and_exits_with_2(
    settings, token, problem, db
):
    settings.TELEGRAM_BOT_TOKEN = token
    with pytest.raises(CommandError) as error:
        call_command("runbot")
    assert error.value.returncode == 2
    assert f"TELEGRAM_BOT_TOKEN is {problem}" in str(error.value)
    assert "@BotFather" in str(error.value)


def test_token_format_is_checked():
    assert is_valid_token("123456789:AAEhBOweik6ad6PsWkyVgHmHgjgzVe2bYaP")
    assert not is_valid_token("123456789")
    assert not is_valid_token("bot:token")


def test_runbot_starts_publishes_its_menu_answers_and_stops_cleanly_on_sigterm(
    fake_telegram, tmp_path
):
    environment = {
        **os.environ,
        "ENV_FILE": "/nonexistent/.env",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake_telegram.base_url,
        "LOG_SINKS": "console",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "-v0"], cwd=BASE_DIR, env=environment, check=True, timeout=120
    )
    process = subprocess.Popen(
        [*manage, "runbot", "--allow-missing-key"],
        cwd=BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        fake_telegram.wait_for(lambda: fake_telegram.commands("ru"), 30, "command menu")
        fake_telegram.push_message(4242, "/help")
        fake_telegram.wait_for_messages(4242, 1, timeout=30)
    finally:
        time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        output, _unused = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Answers come from no model" in output
    assert "Нет активной LLM-модели" in output  # the operator's language, Russian by default
    assert "Bot starting" in output
    assert "Bot stopped" in output
    assert TOKEN not in output


@pytest.mark.parametrize("suffix", ["", "/bot", "/bot/"])
def test_runbot_in_process_answers_until_sigterm(
    fake_telegram, transactional_db, settings, prompts, llm_model, caplog, suffix
):
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_API_BASE_URL = fake_telegram.base_url + suffix

    def stop_after_first_answer():
        fake_telegram.wait_for_messages(4343, 1, timeout=30)
        os.kill(os.getpid(), signal.SIGTERM)

    fake_telegram.push_message(4343, "/start")
    stopper = threading.Thread(target=stop_after_first_answer)
    stopper.start()
    with caplog.at_level("INFO"):
        call_command("runbot")
    stopper.join()
    assert fake_telegram.sent_messages(4343)[0].visible_text.startswith("Здравствуйте")
    assert "Answers come from Fake Model (fake-model at http://127.0.0.1:" in caplog.text
    assert "Bot stopped" in caplog.text


def test_runbot_refuses_to_start_when_the_default_model_has_no_key(
    transactional_db, settings, monkeypatch
):
    from tests.factories import LLMModelFactory, LLMProviderFactory

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.LLM_DEFAULT_MODEL = ""
    provider = LLMProviderFactory(name="OpenAI", api_key_env="OPENAI_API_KEY")
    LLMModelFactory(provider=provider, display_name="GPT-4o mini", is_default=True)
    with pytest.raises(CommandError) as error:
        call_command("runbot")
    assert error.value.returncode == 2
    assert "GPT-4o mini needs an API key in OPENAI_API_KEY" in str(error.value)
    assert "use_local_model" in str(error.value)


def test_runbot_refuses_to_start_without_any_active_model(transactional_db, settings):
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    with pytest.raises(CommandError) as error:
        call_command("runbot")
    assert error.value.returncode == 2
    assert "No LLM model is active" in str(error.value)


@pytest.mark.parametrize("refused_at", ["getMe", "getUpdates"])
def test_a_token_telegram_refuses_is_logged_clearly_and_the_bot_left_alone(
    fake_telegram, transactional_db, settings, prompts, llm_model, caplog, refused_at
):
    """Other bots of the process go on; this one waits for staff to give a new token."""
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_API_BASE_URL = fake_telegram.base_url
    fake_telegram.fail_next(refused_at, error_code=401, description="Unauthorized")

    def stop_once_logged():
        for _look in range(600):
            if "Unauthorized" in caplog.text or "refused the token" in caplog.text:
                break
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_once_logged)
    stopper.start()
    with caplog.at_level("INFO"):
        call_command("runbot")
    stopper.join()
    assert "Unauthorized" in caplog.text or "refused the token" in caplog.text
    assert "Bot stopped" in caplog.text
    assert TOKEN not in caplog.text


def test_runworker_answers_what_another_process_stored_until_sigterm(
    fake_telegram, transactional_db, settings, prompts, llm_model, caplog
):
    """The webhook (another process) stored an update; the worker answers it."""
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_API_BASE_URL = fake_telegram.base_url
    update = {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 4545, "type": "private"},
            "from": {"id": 4545, "is_bot": False, "first_name": "A", "language_code": "en"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    store_updates(bot_id=telegram_id_of(TOKEN), payloads=[update])

    def stop_after_the_answer():
        fake_telegram.wait_for_messages(4545, 1, timeout=30)
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_after_the_answer)
    stopper.start()
    with caplog.at_level("INFO"):
        call_command("runworker")
    stopper.join()
    assert "/start" in fake_telegram.sent_messages(4545)[0].visible_text
    assert InboundUpdate.objects.get().state == InboundUpdate.State.DONE
    assert "Worker stopped" in caplog.text
    assert not fake_telegram.calls_of("getUpdates")  # it takes nothing from Telegram itself


@pytest.mark.parametrize("command", ["runbot", "runworker"])
def test_a_concurrency_below_one_is_refused(settings, command):
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    with pytest.raises(CommandError, match="--concurrency must be at least 1"):
        call_command(command, "--concurrency", "0")
