"""The commands every channel offers: one table feeds the handlers, /help and the menus."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistant.usecases.catalog import show_services
from assistant.usecases.contacts import ask_for_contact
from assistant.usecases.conversation import start, start_over
from assistant.usecases.exchange import Exchange
from assistant.usecases.language import show_languages
from assistant.usecases.model_choice import show_models
from assistant.usecases.operators import request_operator
from assistant.usecases.privacy import ask_to_forget, show_privacy
from assistant.usecases.speech import choose_voice


async def show_help(exchange: Exchange, _argument: str = "") -> None:
    lines = [_("I can help with:")]
    lines += [f"/{command.name} — {command.description}" for command in COMMANDS]
    lines.append(_("Or just write your question."))
    await exchange.say("\n".join(lines))


@dataclass(frozen=True)
class Command:
    """A command and its use case, which gets the text after the command (`/start ads_vk`)."""

    name: str
    description: str
    act: Callable[[Exchange, str], Awaitable[None]]


COMMANDS = (
    Command("start", gettext_lazy("Start over and see what I can do"), start),
    Command("services", gettext_lazy("Our services and prices"), show_services),
    Command("contact", gettext_lazy("Leave a phone number for a call back"), ask_for_contact),
    Command("operator", gettext_lazy("Talk to a person"), request_operator),
    Command("model", gettext_lazy("Choose the AI model"), show_models),
    Command("language", gettext_lazy("Change the language"), show_languages),
    Command(
        "voice", gettext_lazy("Answers also as voice messages: /voice on or off"), choose_voice
    ),
    Command("new", gettext_lazy("Start a new conversation"), start_over),
    Command(
        "privacy", gettext_lazy("What we keep about you, and the privacy policy"), show_privacy
    ),
    Command("forget", gettext_lazy("Delete everything we keep about you"), ask_to_forget),
    Command("help", gettext_lazy("List of commands"), show_help),
)
