"""Django settings: every value comes from the environment or `.env`.

Each variable read here is listed in `.env.example` and the README (a test checks it).
"""

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from core.env import LOG_LEVELS, LOG_SINKS, EnvReader
from core.logging_setup import build_logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_FILE = Path(os.environ.get("ENV_FILE") or BASE_DIR / ".env")
ENV = EnvReader(ENV_FILE, base_dir=BASE_DIR)

# --- Core -------------------------------------------------------------------------------
SECRET_KEY = ENV.required_str(
    "SECRET_KEY",
    "Run `make run` once (it writes a fresh key into .env) or set SECRET_KEY in .env.",
)
DEBUG = ENV.bool("DEBUG", False)
ALLOWED_HOSTS = ENV.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = ENV.list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    # Before the admin, so its admin templates (favicon, stylesheet, model names in the right
    # form) win; after auth, so its admins of staff users and groups replace auth's.
    "core",
    # django.contrib.admin with the project's site (core.admin_site.ProjectAdminSite).
    "core.apps.ProjectAdminConfig",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "simple_history",
    "bots",
    "assistant",
    "conversations",
    "catalog",
    "discovery",
    "integrations",
    "analytics",
    "bot",
    "ops",
    "alerts",
    "sync",
    "webchat",
    "vk",
    "knowledge",
    "api",
    # The API's docs page takes Swagger UI from the package's static files, not from a CDN.
    "ninja",
    # /healthz and /readyz (see ops/views.py).
    "health_check",
    # The job queue of the workers (PostgreSQL only: see config/routers.py and bot/job_queue.py).
    "procrastinate.contrib.django",
]

MIDDLEWARE = [
    # Probes and scrapes come to the container's own address: answered before the host check.
    "ops.middleware.operations_endpoints",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": ENV.database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASE_ROUTERS = ["config.routers.JobQueueRouter"]
#: Threads (each with a connection) for the bot's database work; see core/db.py.
DATABASE_THREADS = ENV.int(
    "DATABASE_THREADS", 1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 8, minimum=1
)
PROCRASTINATE_IMPORT_PATHS = ["bot.job_queue"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time --------------------------------------------------------------------
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LANGUAGE_CODE = ENV.choice("LANGUAGE_CODE", "ru", tuple(code for code, _name in LANGUAGES))
TIME_ZONE = ENV.str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Security (used when DEBUG is off; `check --deploy` passes with the defaults) ------------
SECURE_SSL_REDIRECT = ENV.bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = ENV.bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = ENV.bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = ENV.int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = ENV.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = ENV.bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ENV.proxy_header("SECURE_PROXY_SSL_HEADER")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Admin and export ---------------------------------------------------------------------
IMPORT_EXPORT_SKIP_ADMIN_ACTION_EXPORT_UI = False
# Off: its rule strips one "=" and makes every cell text; exports use core.spreadsheets instead.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# Control characters (a Telegram name may hold them) would make openpyxl refuse the sheet.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True
ADMIN_TRANSCRIPT_PAGE_SIZE = ENV.int("ADMIN_TRANSCRIPT_PAGE_SIZE", 100, minimum=10)

# --- LLM ----------------------------------------------------------------------------------
LLM_DEFAULT_MODEL = ENV.str("LLM_DEFAULT_MODEL")
LLM_FALLBACK_MODEL = ENV.str("LLM_FALLBACK_MODEL")
# Key variables not ending in _API_KEY that providers may name (see assistant/api_keys.py).
LLM_API_KEY_VARIABLES = ENV.list("LLM_API_KEY_VARIABLES", [])
LLM_TOTAL_DEADLINE = ENV.float("LLM_TOTAL_DEADLINE", 90.0, minimum=1.0)
LLM_MAX_RETRIES = ENV.int("LLM_MAX_RETRIES", 2, minimum=0)
ASSISTANT_MAX_INPUT_CHARS = ENV.int("ASSISTANT_MAX_INPUT_CHARS", 4000, minimum=100)
ASSISTANT_HISTORY_MESSAGES = ENV.int("ASSISTANT_HISTORY_MESSAGES", 50, minimum=1)
ASSISTANT_RATE_LIMIT_CALLS = ENV.int("ASSISTANT_RATE_LIMIT_CALLS", 6, minimum=1)
ASSISTANT_RATE_LIMIT_WINDOW = ENV.float("ASSISTANT_RATE_LIMIT_WINDOW", 60.0, minimum=1.0)
ASSISTANT_EXTRACTION_TIMEOUT = ENV.float("ASSISTANT_EXTRACTION_TIMEOUT", 20.0, minimum=1.0)
# Passages of the knowledge base that go with a question, at most (see docs/knowledge.md).
KNOWLEDGE_PASSAGES = ENV.int("KNOWLEDGE_PASSAGES", 4, minimum=1)
# Voice messages longer or bigger than this get a note instead of a transcript (Telegram lets
# bots download files up to 20 MB).
VOICE_MAX_SECONDS = ENV.int("VOICE_MAX_SECONDS", 120, minimum=1)
VOICE_MAX_BYTES = ENV.int("VOICE_MAX_BYTES", 20_000_000, minimum=1000)

# --- Telegram (read by `runbot`; missing values are reported there, not here) ---------------
TELEGRAM_BOT_TOKEN = ENV.str("TELEGRAM_BOT_TOKEN")
#: Fernet keys (comma-separated) that encrypt the bots' tokens kept in the database; the first
#: encrypts, all decrypt (see bots/tokens.py). `make run` writes one into a new .env.
BOT_TOKEN_KEYS = ENV.list("BOT_TOKEN_KEYS", [])
#: Variables not ending in _BOT_TOKEN that a bot in admin may name for its token.
BOT_TOKEN_VARIABLES = ENV.list("BOT_TOKEN_VARIABLES", [])
TELEGRAM_API_BASE_URL = ENV.url("TELEGRAM_API_BASE_URL", "https://api.telegram.org")
TELEGRAM_STAFF_CHAT_ID = ENV.str("TELEGRAM_STAFF_CHAT_ID")
TELEGRAM_DELIVERY_DEADLINE = ENV.float("TELEGRAM_DELIVERY_DEADLINE", 60.0, minimum=1.0)
#: Seconds a stopping bot gives the answers in flight; the rest resume at the next start.
SHUTDOWN_DRAIN_SECONDS = ENV.float("SHUTDOWN_DRAIN_SECONDS", 30.0, minimum=0.0)
# Webhook mode (README *Webhook*): the view answers only when the token and the secret are set.
TELEGRAM_WEBHOOK_URL = ENV.url("TELEGRAM_WEBHOOK_URL")
#: VK's API (communities' keys are set per community in admin); a fake's address in tests.
VK_API_BASE_URL = ENV.url("VK_API_BASE_URL", "https://api.vk.com")
TELEGRAM_WEBHOOK_SECRET = ENV.secret(
    "TELEGRAM_WEBHOOK_SECRET",
    r"[A-Za-z0-9_-]{1,256}",
    "1-256 characters of A-Z, a-z, 0-9, _ and - (as Telegram allows)",
)
TELEGRAM_WEBHOOK_MAX_BYTES = ENV.int("TELEGRAM_WEBHOOK_MAX_BYTES", 1024 * 1024, minimum=1024)
PRIVACY_POLICY_URL = ENV.url("PRIVACY_POLICY_URL")
#: The version of the policy at PRIVACY_POLICY_URL: stored with each consent, so staff know
#: which text a person agreed to. Change it when the policy changes.
PRIVACY_POLICY_VERSION = ENV.matching(
    "PRIVACY_POLICY_VERSION", "1", r"[\w.-]{1,32}", "1-32 letters, digits, dots, dashes or _"
)
#: Messages older than this many days lose their text (and Telegram's stored updates are
#: deleted) by the bot's processes once an hour; 0 keeps them.
PERSONAL_DATA_RETENTION_DAYS = ENV.int("PERSONAL_DATA_RETENTION_DAYS", 0, minimum=0)
CONVERSATION_IDLE_HOURS = ENV.int("CONVERSATION_IDLE_HOURS", 24, minimum=1)
#: Minutes a person waits for an operator's reply before the operators are reminded; after
#: twice this the person is offered a call-back.
OPERATOR_REPLY_MINUTES = ENV.int("OPERATOR_REPLY_MINUTES", 10, minimum=1)

# --- CRM delivery (integrations/) ----------------------------------------------------------
#: Hours a lead event is retried for (from when it happened) before it is a dead letter.
CRM_RETRY_HOURS = ENV.int("CRM_RETRY_HOURS", 24, minimum=1)
#: Days delivered lead events are kept (`manage.py prune_crm_events`).
CRM_KEEP_DAYS = ENV.int("CRM_KEEP_DAYS", 30, minimum=1)

# --- Operations (ops/: /healthz, /readyz, /metrics) ----------------------------------------
#: /readyz fails while an update has waited in the inbox longer than this (seconds).
READY_MAX_QUEUE_AGE = ENV.float("READY_MAX_QUEUE_AGE", 60.0, minimum=1.0)
#: /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; without a token it is off.
METRICS_TOKEN = ENV.str("METRICS_TOKEN")
#: The period /metrics' numbers about recent updates, messages and replies cover.
METRICS_WINDOW_MINUTES = ENV.int("METRICS_WINDOW_MINUTES", 15, minimum=1)
#: `runbot` and `runworker` serve their own counters on this port when it is set (not 0).
METRICS_PORT = ENV.int("METRICS_PORT", 0, minimum=0)
METRICS_HOST = ENV.str("METRICS_HOST", "127.0.0.1")

# --- Alerts and e-mail (alerts/: rules in admin, told to the staff chats and by e-mail) ----
#: EMAIL_URL (how the site sends e-mail, e.g. smtp+tls://user:password@smtp.example.com:587;
#: consolemail:// prints it; without it none is sent) as Django's EMAIL_* settings, and
#: ALERT_EMAILS (who gets alerts by e-mail), which needs it.
globals().update(ENV.email_settings("EMAIL_URL", recipients="ALERT_EMAILS"))
DEFAULT_FROM_EMAIL = ENV.str("DEFAULT_FROM_EMAIL", "assistant@localhost")
#: How often each bot process checks the alert rules (seconds).
ALERT_CHECK_SECONDS = ENV.float("ALERT_CHECK_SECONDS", 30.0, minimum=1.0)

# --- Logging ------------------------------------------------------------------------------
LOG_LEVEL = ENV.choice("LOG_LEVEL", "INFO", LOG_LEVELS, upper=True)
LOG_SINKS_ENABLED = ENV.choices("LOG_SINKS", ["console"], LOG_SINKS)
# A relative path is taken from the project directory, not from wherever the process starts.
LOG_FILE_PATH = BASE_DIR / ENV.str("LOG_FILE_PATH", "logs/assistant.log")
LOG_FILE_ROTATION = ENV.choice("LOG_FILE_ROTATION", "size", ("size", "daily"))
LOG_FILE_MAX_BYTES = ENV.int("LOG_FILE_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
LOG_FILE_BACKUP_COUNT = ENV.int("LOG_FILE_BACKUP_COUNT", 14, minimum=1)
LOG_CLOUD_URL = ENV.url("LOG_CLOUD_URL")
LOG_CLOUD_TOKEN = ENV.str("LOG_CLOUD_TOKEN")
LOG_CLOUD_BATCH_SIZE = ENV.int("LOG_CLOUD_BATCH_SIZE", 100, minimum=1)
LOG_CLOUD_FLUSH_SECONDS = ENV.float("LOG_CLOUD_FLUSH_SECONDS", 5.0, minimum=0.05)
SENTRY_DSN = ENV.url("SENTRY_DSN")

LOGGING = build_logging_config(
    level=LOG_LEVEL,
    sinks=LOG_SINKS_ENABLED,
    static_url=STATIC_URL,
    file_path=LOG_FILE_PATH,
    file_rotation=LOG_FILE_ROTATION,
    file_max_bytes=LOG_FILE_MAX_BYTES,
    file_backup_count=LOG_FILE_BACKUP_COUNT,
    cloud_url=LOG_CLOUD_URL,
    cloud_token=LOG_CLOUD_TOKEN,
    cloud_batch_size=LOG_CLOUD_BATCH_SIZE,
    cloud_flush_seconds=LOG_CLOUD_FLUSH_SECONDS,
)

ENV_VARIABLES_READ = tuple(dict.fromkeys(ENV.read_names))
