"""Bots' tokens: encrypted at rest with rotating keys, or read from variables meant for them."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from bots.models import Bot
from bots.selectors import bot_token
from bots.tokens import (
    TokenUnavailable,
    can_encrypt,
    decrypt_token,
    encrypt_token,
    masked_token,
    reencrypt_token,
    token_from_environment,
    validate_token_variable,
)
from tests.factories import BotFactory

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_a_stored_token_is_not_readable_in_the_database_but_is_to_the_bot(db):
    bot = BotFactory(token=TOKEN)

    assert TOKEN not in bot.encrypted_token
    assert "AAHdqTcv" not in bot.encrypted_token
    assert bot_token(bot_id=bot.pk) == TOKEN


def test_a_new_key_first_still_reads_tokens_of_the_old_one_and_rotation_moves_them(settings):
    old_key = settings.BOT_TOKEN_KEYS[0]
    encrypted = encrypt_token(TOKEN)
    new_key = Fernet.generate_key().decode()
    settings.BOT_TOKEN_KEYS = [new_key, old_key]

    rotated = reencrypt_token(encrypted)
    settings.BOT_TOKEN_KEYS = [new_key]

    assert decrypt_token(rotated) == TOKEN
    with pytest.raises(TokenUnavailable, match="BOT_TOKEN_KEYS"):
        decrypt_token(encrypted)


def test_without_keys_nothing_is_encrypted_and_stored_tokens_say_why(settings):
    encrypted = encrypt_token(TOKEN)
    settings.BOT_TOKEN_KEYS = []

    assert not can_encrypt()
    with pytest.raises(TokenUnavailable, match="cannot be decrypted"):
        decrypt_token(encrypted)


def test_a_malformed_key_is_reported_not_used(settings):
    settings.BOT_TOKEN_KEYS = ["not-a-fernet-key"]

    assert not can_encrypt()


def test_the_masked_form_tells_tokens_apart_without_their_secret():
    assert masked_token(TOKEN) == "123456789:…Dsaw"
    assert masked_token("garbage") == "…"


@pytest.mark.parametrize("name", ["SHOP_BOT_TOKEN", "TELEGRAM_BOT_TOKEN", "LISTED_TOKEN"])
def test_variables_declared_for_bot_tokens_are_read(name, settings, monkeypatch):
    settings.BOT_TOKEN_VARIABLES = ["LISTED_TOKEN"]
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    monkeypatch.setenv(name, TOKEN)

    validate_token_variable(name)
    assert token_from_environment(name) == TOKEN


@pytest.mark.parametrize(
    ("name", "why"),
    [("SECRET_KEY", "own settings"), ("HOME", "not declared for bot tokens")],
)
def test_other_variables_are_refused_and_never_read(name, why, monkeypatch):
    monkeypatch.setenv(name, TOKEN)

    with pytest.raises(ValidationError, match=why):
        validate_token_variable(name)
    with pytest.raises(TokenUnavailable, match="not allowed"):
        token_from_environment(name)


def test_an_empty_or_wrong_variable_says_so(monkeypatch):
    monkeypatch.setenv("EMPTY_BOT_TOKEN", "")
    monkeypatch.setenv("WRONG_BOT_TOKEN", "hello")

    with pytest.raises(TokenUnavailable, match="not set"):
        token_from_environment("EMPTY_BOT_TOKEN")
    with pytest.raises(TokenUnavailable, match="does not hold a bot token"):
        token_from_environment("WRONG_BOT_TOKEN")


def test_a_bot_named_by_variable_reads_it_when_asked(db, monkeypatch):
    bot = BotFactory(encrypted_token="", token_variable="SHOP_BOT_TOKEN")
    monkeypatch.setenv("SHOP_BOT_TOKEN", TOKEN)

    assert bot_token(bot_id=bot.pk) == TOKEN


def test_rotating_moves_every_stored_token_to_the_first_key(db, settings):
    old_key = settings.BOT_TOKEN_KEYS[0]
    shop, variable = BotFactory(token=TOKEN), BotFactory(
        encrypted_token="", token_variable="X_BOT_TOKEN"
    )
    new_key = Fernet.generate_key().decode()
    settings.BOT_TOKEN_KEYS = [new_key, old_key]
    out = io.StringIO()

    call_command("rotate_bot_tokens", stdout=out)
    settings.BOT_TOKEN_KEYS = [new_key]

    assert bot_token(bot_id=shop.pk) == TOKEN
    assert "Tokens encrypted with the first key: 1." in out.getvalue()
    variable.refresh_from_db()
    assert variable.encrypted_token == ""


def test_rotating_without_the_old_key_changes_nothing_and_says_why(db, settings):
    shop = BotFactory(token=TOKEN)
    settings.BOT_TOKEN_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(CommandError, match="keep its old key"):
        call_command("rotate_bot_tokens")

    assert Bot.objects.get(pk=shop.pk).encrypted_token == shop.encrypted_token
