"""Flood limits: a person gets so many LLM calls and button presses per window."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from assistant.flood import CallLimiter
from assistant.usecases.exchange import Exchange

logger = logging.getLogger(__name__)

TOO_FAST_NOTE = gettext_lazy("You are writing faster than I can answer. Please wait a minute.")
TOO_MANY_PRESSES_NOTE = gettext_lazy("You are pressing buttons too fast. Please wait a moment.")


@dataclass(frozen=True)
class Admission:
    """Whether something may go ahead; if not, the note to send (once per refusal streak)."""

    allowed: bool
    note: str = ""


def admit(exchange: Exchange) -> Admission:
    """May this message use the LLM (the answer and the lead card)?

    Asked exactly once per message, before the first LLM call of any kind, so a flood costs
    neither; the slow-down note comes once per window.
    """
    return _admission(exchange.runtime.calls, exchange, TOO_FAST_NOTE)


def admit_press(exchange: Exchange) -> Admission:
    """A button press may act unless the person presses faster than anyone reads."""
    return _admission(exchange.runtime.presses, exchange, TOO_MANY_PRESSES_NOTE)


def _admission(calls: CallLimiter, exchange: Exchange, note) -> Admission:
    allowed, warn = calls.allow(exchange.contact.id)
    if allowed:
        return Admission(True)
    logger.info(
        "Contact %s is over a limit (%s per %s s)",
        exchange.contact.id,
        calls.max_calls,
        calls.window_seconds,
    )
    return Admission(False, str(note) if warn else "")
