"""Builds the `LOGGING` dict from the LOG_* settings and keeps secrets and PII out of logs.

Convention for the rest of the code: every module logs through its own logger,
`logger = logging.getLogger(__name__)`, with %-style arguments
(`logger.info("lead captured: contact=%s", contact.pk)`), INFO for key events (start/stop,
new contact, lead captured, export, LLM/provider errors) and DEBUG for each message and
timing. Text that leaves the process some other way (an error shown to staff, a payload sent
to a third party) goes through `mask_pii()` first.

Every handler gets `MaskingFilter`, so no sink can be configured without it: secrets are
removed at every level, phone numbers and e-mails are masked at INFO and above (DEBUG is
the deliberate "show me the conversation" level).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from core.env import SettingsError

REDACTED = "[REDACTED]"

SECRET_ENV_NAMES = frozenset({"TELEGRAM_BOT_TOKEN", "SECRET_KEY", "LOG_CLOUD_TOKEN", "EMAIL_URL"})
SECRET_ENV_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET", "_PASSWORD")
# Shorter values ("1", "true") would blank out ordinary words all over the logs.
MIN_SECRET_LENGTH = 8

SECRET_PATTERNS = (
    # Telegram Bot API URLs: https://api.telegram.org/bot123456:ABC-DEF.../sendMessage
    (re.compile(r"/bot\d+:[^/\s\"']+"), f"/bot{REDACTED}"),
    # Bitrix24 incoming-webhook URLs: https://example.bitrix24.ru/rest/1/<code>/crm.lead.add.json
    (re.compile(r"(/rest/\d+/)[A-Za-z0-9]{6,}"), rf"\g<1>{REDACTED}"),
    # A bare Telegram bot token.
    (re.compile(r"\b\d{6,}:[A-Za-z0-9_-]{30,}"), REDACTED),
    # OpenAI-style keys: sk-..., sk-proj-..., sk-ant-...
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), REDACTED),
    (re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9._~+/=-]+"), rf"\g<1>{REDACTED}"),
)

PHONE_RE = re.compile(
    r"""
    (?<![\w+/.:=-])                                 # not inside a word, URL, id or number
    (?:
        \+\d(?:[\s().-]{0,2}\d){8,14}               # +7 999 123-45-67, +1 (555) 123-4567
      | [78][\s(-]{0,2}\d{3}[\s)-]{0,2}\d{3}[\s-]?\d{2}[\s-]?\d{2}   # 8 (999) 123-45-67
    )
    (?![\w-])
    """,
    re.VERBOSE,
)
EMAIL_RE = re.compile(r"(?<![\w.%+-])([\w.%+-])[\w.%+-]*@([\w-]+(?:\.[\w-]+)+)")

_secret_values_re: re.Pattern | None = None


#: Staff may declare more variables that hold LLM keys here (the LLM registry accepts them).
KEY_LIST_VARIABLE = "LLM_API_KEY_VARIABLES"


def remember_secret_values(environ: Mapping[str, str], extra: Iterable[str] = ()) -> None:
    """Collect the exact values of secret variables so they are removed wherever they appear.

    Called at configuration time: the values come from the environment (and `.env`, which
    settings has loaded into it), so a key that matches no pattern is still never logged.
    """
    global _secret_values_re
    declared_keys = {name.strip() for name in environ.get(KEY_LIST_VARIABLE, "").split(",")}
    values = {
        value
        for name, value in environ.items()
        if name in SECRET_ENV_NAMES
        or name in declared_keys
        or name.upper().endswith(SECRET_ENV_SUFFIXES)
    }
    values.update(extra)
    values = sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)
    _secret_values_re = re.compile("|".join(map(re.escape, values))) if values else None


def redact_secrets(text: str) -> str:
    """Remove tokens, API keys and known secret values; safe at any log level."""
    if _secret_values_re is not None:
        text = _secret_values_re.sub(REDACTED, text)
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _mask_phone(match: re.Match) -> str:
    found = match.group(0)
    digits = re.sub(r"\D", "", found)
    if not 10 <= len(digits) <= 15:
        return found
    prefix = "+" if found.startswith("+") else ""
    return f"{prefix}{digits[0]}{'*' * (len(digits) - 3)}{digits[-2:]}"


def mask_pii(text: str) -> str:
    """Remove secrets and mask phone numbers (+7********67) and e-mails (a***@example.com).

    Use it for any text about a person that may end up in a log, an error report or a
    message to staff outside the logging system.
    """
    text = redact_secrets(text)
    text = PHONE_RE.sub(_mask_phone, text)
    return EMAIL_RE.sub(r"\1***@\2", text)


_STANDARD_RECORD_FIELDS = frozenset(
    set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
)


def record_extra_fields(record: logging.LogRecord) -> dict:
    """Fields passed with `extra=` (the ones a structured sink should ship)."""
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD_RECORD_FIELDS and not key.startswith("_")
    }


class MaskingFilter(logging.Filter):
    """Rewrites each record in place: message with its arguments, exception text, extras.

    Masking the formatted message (not just `msg`) matters because secrets usually arrive
    as arguments, e.g. httpx logs the request URL, which holds the bot token.
    The record is shared by all handlers, so it is masked once and marked.
    """

    def __init__(self, name: str = ""):
        super().__init__(name)
        remember_secret_values(os.environ)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_masked", False):
            return True
        mask = mask_pii if record.levelno >= logging.INFO else redact_secrets
        record.msg = mask(self._message(record))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        for key, value in record_extra_fields(record).items():
            if isinstance(value, str):
                setattr(record, key, mask(value))
        record._masked = True
        return True

    @staticmethod
    def _message(record: logging.LogRecord) -> str:
        """The formatted message; a bad format string must not turn into an app error."""
        try:
            return record.getMessage()
        except Exception:
            return f"{record.msg} (log arguments did not fit: {record.args!r})"


class AccessLogFilter(logging.Filter):
    """Keeps the web server's access log out of the sink staff read in admin.

    `runserver` logs every request on `django.server` (each static file, a favicon per page
    view) and Django logs a 404 for a missing static file on `django.request`: lines that bury
    the warnings worth reading. Errors always pass, and the console and the file still get
    every line.
    """

    def __init__(self, static_url: str):
        super().__init__()
        self.asset_paths = ("/" + urlsplit(static_url).path.lstrip("/"), "/favicon.ico")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        if record.name == "django.server":
            return False
        if record.name == "django.request" and getattr(record, "status_code", None) == 404:
            path = getattr(getattr(record, "request", None), "path", "")
            return not path.startswith(self.asset_paths)
        return True


def _logger_levels(level: str) -> dict:
    """Libraries that talk too much at DEBUG or log URLs with secrets at INFO."""
    debug = level == "DEBUG"
    quiet = "DEBUG" if debug else "WARNING"
    return {
        # The openai SDK 2+ ships its own fork of httpx under the names httpx2/httpcore2.
        "httpx": quiet,
        "httpx2": quiet,
        # httpcore logs every connection step at DEBUG; httpx's request line is enough.
        "httpcore": "INFO" if debug else "WARNING",
        "httpcore2": "INFO" if debug else "WARNING",
        "openai": quiet,
        # The job queue logs every job's start and end; its warnings and errors are enough.
        "procrastinate": quiet,
        # A failed probe says why in its answer; logged as well, every few seconds, it floods.
        "health_check": "DEBUG" if debug else "ERROR",
        "telegram": "INFO",
        "asyncio": "WARNING",
        "urllib3": "WARNING",
        # SQL at DEBUG would flood every sink and feed the database sink with itself.
        "django.db.backends": "INFO",
        "django.utils.autoreload": "INFO",
    }


def _handlers(sinks, options) -> dict:
    handlers = {}
    if "console" in sinks:
        handlers["console"] = {"class": "logging.StreamHandler", "formatter": "plain"}
    if "file" in sinks:
        handlers["file"] = {
            "()": "core.log_handlers.file_handler",
            "formatter": "plain",
            "path": str(options["file_path"]),
            "rotation": options["file_rotation"],
            "max_bytes": options["file_max_bytes"],
            "backup_count": options["file_backup_count"],
        }
    if "database" in sinks:
        handlers["database"] = {"class": "core.log_handlers.DatabaseHandler"}
    if "cloud" in sinks:
        if not options.get("cloud_url"):
            raise SettingsError(
                "LOG_SINKS includes cloud but LOG_CLOUD_URL is empty; set the log "
                "collector's URL or remove cloud from LOG_SINKS."
            )
        handlers["cloud"] = {
            "class": "core.log_handlers.CloudHandler",
            "url": options["cloud_url"],
            "token": options.get("cloud_token", ""),
            "batch_size": options["cloud_batch_size"],
            "flush_seconds": options["cloud_flush_seconds"],
        }
    for handler in handlers.values():
        handler["filters"] = ["mask"]
    if "database" in handlers:
        handlers["database"]["filters"].append("no_access_log")
    return handlers


def build_logging_config(
    *, level: str, sinks: Iterable[str], static_url: str = "/static/", **options
) -> dict:
    """The dictConfig for the chosen sinks; options are the LOG_FILE_* and LOG_CLOUD_* values.

    `static_url` tells the database sink which 404s are a browser asking for files.

    Django's own loggers ("django", "django.server") are routed to the same handlers, so
    their lines are masked too instead of going to Django's unfiltered default handlers.
    """
    handlers = _handlers(list(sinks), options)
    loggers = {name: {"level": lvl} for name, lvl in _logger_levels(level).items()}
    for name in ("django", "django.server"):
        loggers[name] = {"level": "INFO", "handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "mask": {"()": "core.logging_setup.MaskingFilter"},
            "no_access_log": {
                "()": "core.logging_setup.AccessLogFilter",
                "static_url": static_url,
            },
        },
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": handlers,
        "loggers": loggers,
        "root": {"level": level, "handlers": list(handlers)},
    }


def _mask_tree(value):
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {key: _mask_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask_tree(item) for item in value)
    return value


def sentry_before_send(event: dict, hint: dict) -> dict:
    """Mask every string in a Sentry event: messages, arguments, frame variables, breadcrumbs."""
    return _mask_tree(event)


def init_sentry(*, dsn: str) -> bool:
    """Start Sentry when a DSN is configured; returns whether it was started."""
    if not dsn:
        return False
    import sentry_sdk

    remember_secret_values(os.environ)
    # PII stays off by default; passing send_default_pii=False is deprecated in sentry-sdk 2.7x.
    sentry_sdk.init(dsn=dsn, before_send=sentry_before_send)
    return True
