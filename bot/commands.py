"""The bot's commands: one list feeds the handlers, /help and the Telegram command menu."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class BotCommandInfo:
    name: str
    description: str


COMMANDS = (
    BotCommandInfo("start", _("Start over and see what I can do")),
    BotCommandInfo("services", _("Our services and prices")),
    BotCommandInfo("contact", _("Leave a phone number for a call back")),
    BotCommandInfo("model", _("Choose the AI model")),
    BotCommandInfo("language", _("Change the language")),
    BotCommandInfo("new", _("Start a new conversation")),
    BotCommandInfo("help", _("List of commands")),
)
