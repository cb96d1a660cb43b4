"""Which use case a typed command or a pressed button runs, for channels that route
themselves (the terminal, the web chat; Telegram's handlers are registered per command and
per button route)."""

from __future__ import annotations

import functools

from assistant.usecases.buttons import (
    CARD,
    CATALOG,
    CONTACT,
    FORGET,
    INTEREST,
    LANGUAGE,
    MODEL,
    OPERATOR,
    RATE,
    SERVICE,
    SURVEY,
    ButtonRoute,
    press,
    stale_button,
)
from assistant.usecases.catalog import note_interest, show_service, show_services
from assistant.usecases.commands import COMMANDS
from assistant.usecases.confirmation import card_pressed
from assistant.usecases.contacts import ask_for_contact
from assistant.usecases.conversation import unknown_command
from assistant.usecases.exchange import Action
from assistant.usecases.feedback import rate_pressed, survey_pressed
from assistant.usecases.language import choose_language
from assistant.usecases.model_choice import choose_model
from assistant.usecases.operators import request_operator
from assistant.usecases.privacy import forget_pressed

#: Every button the assistant offers, by the action it sends back.
BUTTONS = (
    ButtonRoute(rf"{CATALOG}:", show_services),
    ButtonRoute(rf"{CONTACT}:", ask_for_contact),
    ButtonRoute(rf"{SERVICE}:\d+", show_service),
    ButtonRoute(rf"{INTEREST}:\d+", note_interest),
    ButtonRoute(rf"{MODEL}:\d+", choose_model),
    ButtonRoute(rf"{LANGUAGE}:[a-z-]{{2,10}}", choose_language),
    ButtonRoute(rf"{CARD}:(ok|fix)", card_pressed),
    ButtonRoute(rf"{OPERATOR}:", request_operator),
    ButtonRoute(rf"{FORGET}:(yes|no)", forget_pressed),
    ButtonRoute(rf"{RATE}:\d+:(up|down|skip)", rate_pressed),
    ButtonRoute(rf"{SURVEY}:\d+:([1-5]|skip)", survey_pressed),
)


def command_act(text: str) -> Action:
    """The use case of `/name argument`; an unknown name gets the polite unknown-command note."""
    name, _space, argument = text[1:].partition(" ")
    command = next((c for c in COMMANDS if c.name == name), None)
    if command is None:
        return unknown_command
    return lambda exchange: command.act(exchange, argument.strip())


def press_act(action: str) -> Action:
    """The use case of a press of the button that sends back `action` (a button the assistant
    does not offer is a stale one)."""
    route = next((r for r in BUTTONS if r.matches(action)), None)
    act = route.act if route else stale_button
    return functools.partial(press, act=act, data=action)
