"""Start-up configuration: clear one-line errors, safe defaults, deploy checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from core.env import EnvReader, SettingsError

BASE_DIR = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    """Run manage.py in a clean environment that ignores the developer's .env."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "LOG_", "DATABASE_", "SECRET_"))
    }
    environment.update(
        {"ENV_FILE": "/nonexistent/.env", "SECRET_KEY": "x" * 50, "DEBUG": "True", **env}
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("LOG_LEVEL", "LOUD"),
        ("DEBUG", "maybe"),
        ("LOG_SINKS", "console,carrier-pigeon"),
        ("TELEGRAM_API_BASE_URL", "api.telegram.org"),
        ("TELEGRAM_WEBHOOK_SECRET", "with spaces"),
        ("TELEGRAM_WEBHOOK_URL", "bot.example.com"),
        ("PRIVACY_POLICY_VERSION", "version two"),
        ("EMAIL_URL", "carrier-pigeon://coop"),
        ("ALERT_EMAILS", "ops@example.com"),
    ],
)
def test_a_wrong_value_stops_start_up_with_one_line_naming_the_variable(variable, value):
    result = run_manage("check", **{variable: value})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Configuration error: {variable}")
    assert "Traceback" not in result.stderr


def test_a_missing_secret_key_says_how_to_get_one():
    result = run_manage("check", SECRET_KEY="")
    assert result.returncode == 2
    assert "SECRET_KEY is not set" in result.stderr
    assert "make run" in result.stderr


def test_deploy_check_passes_with_debug_off_and_default_security_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="False",
        ALLOWED_HOSTS="example.com",
        SECRET_KEY=secrets.token_urlsafe(50),
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(settings):
    options = settings.DATABASES["default"].get("OPTIONS", {})
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the suite runs on PostgreSQL")
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]


def test_a_relative_sqlite_path_is_kept_inside_the_project(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///data/app.sqlite3")
    config = EnvReader(base_dir=tmp_path).database("DATABASE_URL", "")
    assert config["NAME"] == str(tmp_path / "data" / "app.sqlite3")


def test_postgres_url_gets_health_checked_persistent_connections(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    config = EnvReader().database("DATABASE_URL", "")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize(
    ("method", "value", "message"),
    [
        ("int", "ten", "is not a whole number"),
        ("int", "-1", "is too small"),
        ("float", "fast", "is not a number"),
        ("float", "-0.5", "is too small"),
        ("proxy_header", "HTTP_X_FORWARDED_PROTO", "must be 'HEADER,value'"),
    ],
)
def test_malformed_numbers_and_headers_are_named_in_the_error(monkeypatch, method, value, message):
    monkeypatch.setenv("SOME_SETTING", value)
    reader = EnvReader()
    with pytest.raises(SettingsError, match=f"SOME_SETTING.*{message}"):
        if method in ("int", "float"):
            getattr(reader, method)("SOME_SETTING", 1, minimum=0)
        else:
            reader.proxy_header("SOME_SETTING")


def test_well_formed_values_are_read(monkeypatch):
    monkeypatch.setenv("A_NUMBER", "7")
    monkeypatch.setenv("A_FLOAT", "2.5")
    monkeypatch.setenv("A_FLAG", "off")
    monkeypatch.setenv("A_PROXY", "HTTP_X_FORWARDED_PROTO, https")
    monkeypatch.setenv("A_LIST", "a, b,,c")
    reader = EnvReader()
    assert reader.int("A_NUMBER", 1) == 7
    assert reader.float("A_FLOAT", 1.0) == 2.5
    assert reader.bool("A_FLAG", True) is False
    assert reader.proxy_header("A_PROXY") == ("HTTP_X_FORWARDED_PROTO", "https")
    assert reader.list("A_LIST", []) == ["a", "b", "c"]
    assert reader.proxy_header("UNSET_PROXY") is None


def test_a_database_url_that_cannot_be_parsed_is_reported(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://user@host:notaport/db")
    with pytest.raises(SettingsError, match=r"DATABASE_URL.*cannot be parsed"):
        EnvReader().database("DATABASE_URL", "")


def test_values_in_the_env_file_are_read_but_the_environment_wins(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("FROM_FILE_ONLY=file\nBOTH_PLACES=file\n")
    monkeypatch.setenv("BOTH_PLACES", "environment")
    monkeypatch.delenv("FROM_FILE_ONLY", raising=False)
    reader = EnvReader(env_file)
    assert reader.str("FROM_FILE_ONLY") == "file"
    assert reader.str("BOTH_PLACES") == "environment"
    monkeypatch.delenv("FROM_FILE_ONLY")
