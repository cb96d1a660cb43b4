"""Button presses: what a press carries ("kind:value"), and how every press is taken.

Each feature offers its buttons and checks the state a press refers to before acting (a
service still offered, a model still usable, a card that was summarised). Presses are
limited per person, so holding a button down costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from assistant.usecases.admission import admit_press
from assistant.usecases.exchange import Exchange

CATALOG = "catalog"
CONTACT = "contact"
SERVICE = "service"
INTEREST = "interest"
MODEL = "model"
LANGUAGE = "lang"
CARD = "card"
CARD_CORRECT = "ok"
CARD_FIX = "fix"
OPERATOR = "operator"
FORGET = "forget"
RATE = "rate"
SURVEY = "csat"
#: Marks the model a person has chosen in the /model menu.
CHOSEN_MARK = "✓ "

PressAction = Callable[[Exchange, str], Awaitable[None]]


def action(kind: str, value: object = "") -> str:
    """What a button sends back; well under Telegram's 64 bytes of callback data."""
    return f"{kind}:{value}"


def parse_action(data: str | None) -> tuple[str, str]:
    kind, _sep, value = (data or "").partition(":")
    return kind, value


def number(value: str) -> int:
    return int(value) if value.isdigit() else 0


@dataclass(frozen=True)
class ButtonRoute:
    """The presses a feature takes: `pattern` matches the whole action string."""

    pattern: str
    act: PressAction

    def matches(self, data: str) -> bool:
        return re.fullmatch(self.pattern, data) is not None


async def press(exchange: Exchange, act: PressAction, data: str) -> None:
    """Take one press: within the limit it acts, else it is only acknowledged."""
    admission = admit_press(exchange)
    await exchange.channel.acknowledge(admission.note)
    if admission.allowed:
        await act(exchange, parse_action(data)[1])


async def stale_button(exchange: Exchange, _argument: str) -> None:
    """A press of a button the bot no longer offers (or never did)."""
    await exchange.say(_("This button is no longer active."))
