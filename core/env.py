"""Reading settings from the environment with one clear line per mistake.

Django would show a long traceback for a bad value; a person editing `.env` needs to
know which variable is wrong and what is expected, so every reader here raises
`SettingsError` naming the variable.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_SINKS = ("console", "file", "database", "cloud")
TRUE_WORDS = {"1", "true", "yes", "on", "y", "t"}
FALSE_WORDS = {"0", "false", "no", "off", "n", "f", ""}


class SettingsError(ImproperlyConfigured):
    """A setting from the environment is missing or malformed."""


class EnvReader:
    """Typed access to environment variables with friendly errors.

    `read_names` records every variable asked for, so a test can check that each one
    is documented in `.env.example` and the README.
    """

    def __init__(self, env_file: Path | None = None, base_dir: Path | None = None):
        self.env = environ.Env()
        self.base_dir = base_dir
        if env_file is not None and env_file.exists():
            environ.Env.read_env(str(env_file), overwrite=False)
        self.read_names: list[str] = []

    def _raw(self, name: str) -> str | None:
        self.read_names.append(name)
        value = os.environ.get(name)
        return None if value is None else value.strip()

    def str(self, name: str, default: str = "") -> str:
        value = self._raw(name)
        return default if value is None or value == "" else value

    def required_str(self, name: str, hint: str) -> str:
        value = self.str(name)
        if not value:
            raise SettingsError(f"{name} is not set. {hint}")
        return value

    def bool(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None or value == "":
            return default
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise SettingsError(f"{name}={value!r} is not a yes/no value; use True or False.")

    def int(self, name: str, default: int, minimum: int | None = None) -> int:
        value = self._raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise SettingsError(f"{name}={value!r} is not a whole number.") from None
        if minimum is not None and number < minimum:
            raise SettingsError(f"{name}={number} is too small; the minimum is {minimum}.")
        return number

    def float(self, name: str, default: float, minimum: float = 0.0) -> float:
        value = self._raw(name)
        if value is None or value == "":
            return default
        try:
            number = float(value)
        except ValueError:
            raise SettingsError(f"{name}={value!r} is not a number.") from None
        if number < minimum:
            raise SettingsError(f"{name}={number} is too small; the minimum is {minimum}.")
        return number

    def secret(self, name: str, pattern: str, expected: str) -> str:
        """A secret that must match `pattern`; a wrong one is reported without its value,
        which would otherwise end up in a terminal or a service's log."""
        value = self.str(name)
        if value and not re.fullmatch(pattern, value):
            raise SettingsError(f"{name} must be {expected}; the value set is not.")
        return value

    def matching(self, name: str, default: str, pattern: str, expected: str) -> str:
        """A short value of a known shape (a version, a code), named in the error."""
        value = self.str(name, default)
        if not re.fullmatch(pattern, value):
            raise SettingsError(f"{name}={value!r} is not {expected}.")
        return value

    def list(self, name: str, default: list[str]) -> list[str]:
        value = self._raw(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, default: str, choices: tuple[str, ...], upper=False) -> str:
        value = self.str(name, default)
        value = value.upper() if upper else value.lower()
        if value not in choices:
            raise SettingsError(f"{name}={value!r} is not one of: {', '.join(choices)}.")
        return value

    def choices(self, name: str, default: list[str], choices: tuple[str, ...]) -> list[str]:
        values = [item.lower() for item in self.list(name, default)]
        unknown = [item for item in values if item not in choices]
        if unknown:
            raise SettingsError(
                f"{name} has unknown item(s) {', '.join(unknown)}; "
                f"choose from: {', '.join(choices)}."
            )
        return values

    def url(self, name: str, default: str = "", schemes=("http", "https")) -> str:
        value = self.str(name, default)
        if value and (urlsplit(value).scheme not in schemes or not urlsplit(value).netloc):
            raise SettingsError(
                f"{name}={value!r} is not a URL; expected {' or '.join(schemes)}://host/..."
            )
        return value

    def email_url(self, name: str) -> str:
        """How e-mail is sent, as django-environ reads it (smtp://, smtp+tls://, consolemail://
        and the like); a malformed one is named without its value (it holds a password)."""
        value = self.str(name)
        if not value:
            return ""
        try:
            self.env.email_url_config(value)
        except (ImproperlyConfigured, ValueError, KeyError):
            raise SettingsError(
                f"{name} is not an e-mail URL such as "
                "smtp+tls://user:password@smtp.example.com:587; the value set is not."
            ) from None
        return value

    def email_settings(self, name: str, *, recipients: str) -> dict:
        """Django's EMAIL_* settings from the e-mail URL `name` (none when it is empty), with
        `name` and the list `recipients` themselves; recipients without a URL are refused."""
        url = self.email_url(name)
        addresses = self.list(recipients, [])
        if addresses and not url:
            raise SettingsError(f"{recipients} is set but {name} is not: set how e-mail is sent.")
        return {**(self.env.email_url_config(url) if url else {}), name: url, recipients: addresses}

    def database(self, name: str, default: str) -> dict:
        value = self.str(name, default)
        scheme = urlsplit(value).scheme
        if scheme not in ("sqlite", "postgres", "postgresql", "pgsql", "psql"):
            raise SettingsError(
                f"{name}={value!r} is not a supported database URL; use "
                "sqlite:///path/to/db.sqlite3 or postgres://user:password@host:5432/name."
            )
        try:
            config = self.env.db_url_config(value)
        except (ImproperlyConfigured, ValueError) as error:
            raise SettingsError(f"{name}={value!r} cannot be parsed: {error}") from None
        if scheme == "sqlite":
            name = config["NAME"]
            if self.base_dir and name != ":memory:" and not Path(name).is_absolute():
                config["NAME"] = str(self.base_dir / name)
            config["OPTIONS"] = sqlite_options()
        else:
            # Under ASGI each request runs in a thread of its own, so kept connections pile up
            # (Django's advice: none); the bot's database threads keep theirs (core/db.py).
            config.setdefault("CONN_MAX_AGE", 0)
            config["CONN_HEALTH_CHECKS"] = True
        return config

    def proxy_header(self, name: str) -> tuple[str, str] | None:
        value = self.str(name)
        if not value:
            return None
        parts = [part.strip() for part in value.split(",")]
        if len(parts) != 2 or not all(parts):
            raise SettingsError(
                f"{name}={value!r} must be 'HEADER,value', e.g. HTTP_X_FORWARDED_PROTO,https."
            )
        return parts[0], parts[1]


def sqlite_options() -> dict:
    """WAL, a busy timeout and IMMEDIATE transactions let the bot and admin write at once."""
    return {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
        ),
    }
