"""/language: Russian or English (or any language the site offers)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from assistant.channel import Button
from assistant.usecases.buttons import LANGUAGE, action
from assistant.usecases.exchange import Exchange, supported_language
from conversations import services as conversation_services
from core.db import db_call

#: Each language named in itself, as a person looking for theirs would read it.
NATIVE_NAMES = {"ru": "Русский", "en": "English"}


async def show_languages(exchange: Exchange, _argument: str = "") -> None:
    """The languages the bot speaks (every one the site offers, without a bot)."""
    bot = exchange.turn.bot
    codes = bot.languages if bot else [code for code, _name in settings.LANGUAGES]
    buttons = [[Button(NATIVE_NAMES.get(code, code), action(LANGUAGE, code))] for code in codes]
    await exchange.say(_("Choose your language:"), buttons=buttons)


async def choose_language(exchange: Exchange, value: str) -> None:
    language = supported_language(value, exchange.turn.bot)
    await db_call(conversation_services.contact_set_language)(
        contact_id=exchange.contact.id, language_code=language
    )
    with translation.override(language):
        await exchange.say(_("Language changed. How can I help?"))
