"""The logging configuration: which sinks exist, rotation, and what never reaches a log."""

import logging
import logging.config
import os
import time
from logging.handlers import RotatingFileHandler, TimedRotatingFileHandler

import httpx
import pytest
import sentry_sdk
from django.apps import apps
from django.conf import settings as django_settings

from core.env import SettingsError
from core.log_handlers import CloudHandler, DatabaseHandler
from core.logging_setup import (
    build_logging_config,
    init_sentry,
    mask_pii,
    redact_secrets,
    remember_secret_values,
    sentry_before_send,
)
from tests.core.log_server import LogCollector

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
PHONE = "+79991234567"
EMAIL = "anna.petrova@example.com"


@pytest.fixture
def log_file(tmp_path):
    return tmp_path / "logs" / "assistant.log"


@pytest.fixture
def configure(log_file):
    """Apply a logging configuration; Django's own is restored afterwards."""

    def apply(**overrides):
        options = {
            "level": "INFO",
            "sinks": ["file"],
            "file_path": log_file,
            "file_rotation": "size",
            "file_max_bytes": 10 * 1024 * 1024,
            "file_backup_count": 3,
            "cloud_url": "",
            "cloud_token": "",
            "cloud_batch_size": 100,
            "cloud_flush_seconds": 5.0,
            **overrides,
        }
        config = build_logging_config(**options)
        logging.config.dictConfig(config)
        return config

    yield apply
    logging.config.dictConfig(django_settings.LOGGING)
    remember_secret_values(os.environ)


@pytest.fixture
def collector():
    server = LogCollector()
    yield server
    server.stop()


def root_handler(name):
    return next(handler for handler in logging.getLogger().handlers if handler.name == name)


# --- Masking ------------------------------------------------------------------------------


def test_phone_and_email_are_masked_at_info(configure, log_file):
    configure()
    logging.getLogger("assistant.test").info("lead: phone %s, e-mail %s", PHONE, EMAIL)
    text = log_file.read_text()
    assert "lead: phone +7********67, e-mail a***@example.com" in text
    assert PHONE not in text
    assert EMAIL not in text


def test_phone_and_email_stay_readable_at_debug(configure, log_file):
    configure(level="DEBUG")
    logging.getLogger("assistant.test").debug("user wrote: %s %s", PHONE, EMAIL)
    assert f"user wrote: {PHONE} {EMAIL}" in log_file.read_text()


def test_bot_token_is_stripped_from_httpx_request_line_at_debug(configure, log_file, collector):
    configure(level="DEBUG")
    url = collector.url(f"/bot{BOT_TOKEN}/sendMessage")
    httpx.post(url, json={"text": "hi"})
    text = log_file.read_text()
    assert "HTTP Request: POST" in text
    assert "/bot[REDACTED]/sendMessage" in text
    assert BOT_TOKEN not in text
    assert BOT_TOKEN.split(":")[1] not in text


def test_httpx_request_lines_are_not_logged_at_info(configure, log_file, collector):
    configure(level="INFO")
    httpx.post(collector.url("/botX/sendMessage"), json={})
    assert not log_file.exists() or "HTTP Request" not in log_file.read_text()


def test_exception_text_is_masked(configure, log_file):
    configure()
    try:
        raise ValueError(f"bad token {BOT_TOKEN} for {EMAIL}")
    except ValueError:
        logging.getLogger("assistant.test").exception("sending failed")
    text = log_file.read_text()
    assert "ValueError: bad token [REDACTED] for a***@example.com" in text
    assert BOT_TOKEN not in text


def test_stack_info_is_masked(configure, log_file):
    configure()
    token = BOT_TOKEN  # a local variable name in the stack, its value in the message
    logging.getLogger("assistant.test").info("token %s", token, stack_info=True)
    text = log_file.read_text()
    assert "Stack (most recent call last)" in text
    assert BOT_TOKEN not in text


def test_secret_env_values_are_removed_at_every_level(configure, log_file, monkeypatch):
    monkeypatch.setenv("ACME_API_KEY", "plain-looking-key-42")
    configure(level="DEBUG")
    logging.getLogger("assistant.test").debug("calling with %s", "plain-looking-key-42")
    assert "calling with [REDACTED]" in log_file.read_text()


def test_broken_log_arguments_do_not_raise_into_the_app(configure, log_file):
    configure()
    logging.getLogger("assistant.test").info("count %d", "not a number")
    assert "count %d (log arguments did not fit: ('not a number',))" in log_file.read_text()


def test_django_loggers_are_masked_too(configure, log_file):
    configure()
    logging.getLogger("django.request").warning("Not Found: /admin/?q=%s", EMAIL)
    assert "Not Found: /admin/?q=a***@example.com" in log_file.read_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+7 999 123-45-67", "+7********67"),
        ("8 (999) 123-45-67", "8********67"),
        ("89991234567", "8********67"),
        ("+1 (555) 123-4567", "+1********67"),
        ("ivan@mail.ru", "i***@mail.ru"),
        (
            f"https://api.telegram.org/bot{BOT_TOKEN}/getMe",
            "https://api.telegram.org/bot[REDACTED]/getMe",
        ),
        (
            "https://api.telegram.org/bot123456:ABC-DEF/getMe",
            "https://api.telegram.org/bot[REDACTED]/getMe",
        ),
        (f"token={BOT_TOKEN}", "token=[REDACTED]"),
        ("key sk-proj-abcdefghijklmnop1234", "key [REDACTED]"),
        ("Authorization: Bearer eyJhbGciOi.J9x-y", "Authorization: Bearer [REDACTED]"),
    ],
)
def test_mask_pii_hides_personal_data_and_secrets(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "chat 1234567890 update 987654321",
        "supergroup -1001234567890",
        "at 1700000000.123 from 127.0.0.1",
        "short +123456789",
        "order 2024-05-01 12:30",
    ],
)
def test_mask_pii_leaves_ids_times_and_short_numbers_alone(text):
    assert mask_pii(text) == text


def test_short_env_values_are_not_treated_as_secrets():
    remember_secret_values({"DEBUG_TOKEN": "true"})
    try:
        assert mask_pii("verbose is true") == "verbose is true"
    finally:
        remember_secret_values(os.environ)


def test_values_of_variables_declared_for_llm_keys_are_never_logged():
    remember_secret_values(
        {"LLM_API_KEY_VARIABLES": "MISTRAL_KEY, OTHER", "MISTRAL_KEY": "mistral-secret-value-42"}
    )
    try:
        assert "mistral-secret-value-42" not in redact_secrets("key mistral-secret-value-42 sent")
    finally:
        remember_secret_values(os.environ)


def test_no_secret_env_values_leaves_text_unchanged():
    remember_secret_values({})
    try:
        assert mask_pii("plain-looking-key-42") == "plain-looking-key-42"
    finally:
        remember_secret_values(os.environ)


# --- Sinks and levels ---------------------------------------------------------------------


def test_only_the_chosen_sinks_get_handlers():
    config = build_logging_config(level="INFO", sinks=["console", "database"])
    assert config["root"]["handlers"] == ["console", "database"]
    assert all(handler["filters"][0] == "mask" for handler in config["handlers"].values())


def test_every_sink_is_built_with_the_masking_filter(configure):
    configure(sinks=["console", "file", "database", "cloud"], cloud_url="http://127.0.0.1:9/")
    handlers = logging.getLogger().handlers
    assert {type(handler) for handler in handlers} == {
        logging.StreamHandler,
        RotatingFileHandler,
        DatabaseHandler,
        CloudHandler,
    }
    assert all(len(handler.filters) >= 1 for handler in handlers)


def test_cloud_sink_without_url_is_a_clear_settings_error():
    with pytest.raises(SettingsError, match="LOG_CLOUD_URL is empty"):
        build_logging_config(level="INFO", sinks=["cloud"], cloud_url="")


def test_noisy_libraries_are_quiet_at_info():
    loggers = build_logging_config(level="INFO", sinks=["console"])["loggers"]
    assert loggers["httpx"]["level"] == "WARNING"
    assert loggers["httpcore"]["level"] == "WARNING"


def test_httpx_is_shown_at_debug():
    loggers = build_logging_config(level="DEBUG", sinks=["console"])["loggers"]
    assert loggers["httpx"]["level"] == "DEBUG"


def test_file_sink_creates_the_log_directory(configure, log_file):
    configure()
    logging.getLogger("assistant.test").info("started")
    assert log_file.parent.is_dir()


def test_size_rotation_keeps_backup_count_files(configure, log_file):
    configure(file_max_bytes=1024, file_backup_count=3)
    for number in range(100):
        logging.getLogger("assistant.test").info("line %03d %s", number, "x" * 80)
    names = sorted(path.name for path in log_file.parent.iterdir())
    assert names == ["assistant.log", "assistant.log.1", "assistant.log.2", "assistant.log.3"]
    assert all(path.stat().st_size <= 1024 for path in log_file.parent.iterdir())


def test_daily_rotation_rolls_over_at_midnight_keeping_backup_count(configure, log_file):
    configure(file_rotation="daily", file_backup_count=14)
    handler = root_handler("file")
    assert isinstance(handler, TimedRotatingFileHandler)
    assert (handler.when, handler.backupCount) == ("MIDNIGHT", 14)
    logging.getLogger("assistant.test").info("yesterday")
    handler.rolloverAt = int(time.time())  # as if midnight has just passed
    logging.getLogger("assistant.test").info("today")
    backups = [path for path in log_file.parent.iterdir() if path.name != "assistant.log"]
    assert len(backups) == 1
    assert "yesterday" in backups[0].read_text()
    assert "yesterday" not in log_file.read_text()


# --- Sentry -------------------------------------------------------------------------------


@pytest.fixture
def sentry_client_restored():
    previous = sentry_sdk.get_client()
    yield
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(previous)


def test_sentry_is_not_started_without_a_dsn(sentry_client_restored):
    assert init_sentry(dsn="") is False
    assert not sentry_sdk.get_client().is_active()


def test_sentry_started_at_app_start_sends_masked_events(
    collector, settings, sentry_client_restored
):
    host, port = collector.httpd.server_address[:2]
    settings.SENTRY_DSN = f"http://publickey@{host}:{port}/1"
    apps.get_app_config("core").ready()
    sentry_sdk.capture_message(f"send to {PHONE} failed, token {BOT_TOKEN}")
    sentry_sdk.flush(timeout=5)
    assert collector.wait_for(1)
    envelope = collector.received[0]
    assert envelope.path == "/api/1/envelope/"
    assert b"send to +7********67 failed, token [REDACTED]" in envelope.body
    assert BOT_TOKEN.encode() not in envelope.body
    assert PHONE.encode() not in envelope.body


def test_sentry_does_not_send_personal_data_by_default(settings, sentry_client_restored):
    assert init_sentry(dsn="http://publickey@127.0.0.1:9/1") is True
    assert sentry_sdk.get_client().should_send_default_pii() is False


def test_sentry_before_send_masks_nested_strings():
    event = {
        "message": f"token {BOT_TOKEN}",
        "exception": {"values": [{"value": EMAIL, "frames": ({"vars": {"phone": PHONE}},)}]},
        "level": 40,
    }
    assert sentry_before_send(event, {}) == {
        "message": "token [REDACTED]",
        "exception": {
            "values": [
                {"value": "a***@example.com", "frames": ({"vars": {"phone": "+7********67"}},)}
            ]
        },
        "level": 40,
    }
