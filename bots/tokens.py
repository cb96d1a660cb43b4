"""Where a bot's Telegram token is kept: encrypted in the database, or in an environment variable.

A token stored in the database is encrypted with Fernet (AES-128-CBC and HMAC-SHA256, from
`cryptography`) under the keys of `BOT_TOKEN_KEYS`: the first encrypts, every one decrypts, so
a key is rotated by putting a new one first (`manage.py rotate_bot_tokens` re-encrypts). A
database dump alone then gives no token away.

A token named by variable follows the rule of the LLM providers' keys (`assistant.api_keys`):
only variables declared for bot tokens are read, ending in `_BOT_TOKEN` or listed in
`BOT_TOKEN_VARIABLES`, plus `TELEGRAM_BOT_TOKEN` itself; never another of the project's
settings, since the token is sent to `TELEGRAM_API_BASE_URL` in every call.
"""

from __future__ import annotations

import logging
import os
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")
VARIABLE_SUFFIX = "_BOT_TOKEN"
ENV_BOT_VARIABLE = "TELEGRAM_BOT_TOKEN"


class TokenUnavailable(Exception):
    """The bot's token cannot be read: its variable is empty or refused, or no key decrypts it."""


def is_valid_token(token: str) -> bool:
    """Shaped like a token @BotFather gives: the bot's number, a colon and its secret."""
    return bool(TOKEN_PATTERN.match(token or ""))


def telegram_id_of(token: str) -> int:
    """The bot's Telegram id: the number before the colon of its token."""
    return int(token.split(":", 1)[0])


def masked_token(token: str) -> str:
    """The bot's number and the last 4 characters: enough to tell tokens apart."""
    if not is_valid_token(token):
        return "…"
    number, secret = token.split(":", 1)
    return f"{number}:…{secret[-4:]}"


# --- Encrypted in the database -----------------------------------------------------------------


def _cipher() -> MultiFernet:
    keys = [key for key in settings.BOT_TOKEN_KEYS if key]
    if not keys:
        raise ImproperlyConfigured("BOT_TOKEN_KEYS is not set")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        message = f"BOT_TOKEN_KEYS holds a key that is not a Fernet key: {error}"
        raise ImproperlyConfigured(message) from error


def can_encrypt() -> bool:
    """Whether tokens can be stored in the database (`BOT_TOKEN_KEYS` holds valid keys)."""
    try:
        _cipher()
    except ImproperlyConfigured:
        return False
    return True


def encrypt_token(token: str) -> str:
    return _cipher().encrypt(token.encode()).decode()


def decrypt_token(encrypted: str) -> str:
    try:
        return _cipher().decrypt(encrypted.encode()).decode()
    except (InvalidToken, ImproperlyConfigured) as error:
        raise TokenUnavailable(
            "the stored token cannot be decrypted with BOT_TOKEN_KEYS (was its key removed?)"
        ) from error


def reencrypt_token(encrypted: str) -> str:
    """The same token under the first key of `BOT_TOKEN_KEYS` (key rotation)."""
    try:
        return _cipher().rotate(encrypted.encode()).decode()
    except (InvalidToken, ImproperlyConfigured) as error:
        raise TokenUnavailable(
            "a stored token cannot be decrypted with BOT_TOKEN_KEYS; keep its old key in the "
            "list until the tokens are rotated"
        ) from error


# --- In an environment variable -------------------------------------------------------------


def is_token_variable(name: str) -> bool:
    """Whether the variable `name` may be read as a bot's token."""
    if name == ENV_BOT_VARIABLE:
        return True
    if name in settings.ENV_VARIABLES_READ:
        return False
    return name.endswith(VARIABLE_SUFFIX) or name in settings.BOT_TOKEN_VARIABLES


def validate_token_variable(name: str) -> None:
    """The field validator of `Bot.token_variable`: say why a name is refused."""
    if not name or is_token_variable(name):
        return
    if name in settings.ENV_VARIABLES_READ:
        message = _("%(name)s is one of this project's own settings; it is never sent to Telegram.")
    else:
        message = _(
            "%(name)s is not declared for bot tokens: use a variable whose name ends in "
            "_BOT_TOKEN or list it in BOT_TOKEN_VARIABLES."
        )
    raise ValidationError(message, code="token_variable", params={"name": name})


def token_from_environment(name: str) -> str:
    """The token in variable `name` (the environment, which `.env` fills at start)."""
    if not is_token_variable(name):
        raise TokenUnavailable(f"the variable {name} is not allowed for bot tokens")
    if name == ENV_BOT_VARIABLE:
        value = settings.TELEGRAM_BOT_TOKEN
    else:
        value = os.environ.get(name, "").strip()
    if not value:
        raise TokenUnavailable(f"the variable {name} is not set")
    if not is_valid_token(value):
        raise TokenUnavailable(f"the variable {name} does not hold a bot token")
    return value
