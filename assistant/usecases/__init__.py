"""The assistant's use cases: what happens to each message, whichever channel it came from.

A channel (Telegram, the terminal) turns what arrived into an `Incoming` and calls `handle`
with the use case to run; everything else (storing, limits, the LLM, the lead card, staff
news) happens here, through the `assistant.channel.Channel` it was given.
"""

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
from assistant.usecases.commands import COMMANDS, Command
from assistant.usecases.confirmation import card_pressed
from assistant.usecases.contacts import ask_for_contact, shared_contact
from assistant.usecases.conversation import (
    answer_text,
    keep_edit,
    note_unsupported,
    start,
    unknown_command,
)
from assistant.usecases.exchange import Exchange, Incoming, Turn, Unreachable, handle
from assistant.usecases.feedback import rate_pressed, survey_idle, survey_pressed
from assistant.usecases.language import choose_language
from assistant.usecases.model_choice import choose_model
from assistant.usecases.operator_desk import carry_out
from assistant.usecases.operators import TopicMessage, operator_wrote, request_operator
from assistant.usecases.privacy import forget_pressed
from assistant.usecases.waiting import offer_call_back, remind_operators

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

__all__ = [
    "BUTTONS",
    "COMMANDS",
    "Command",
    "Exchange",
    "Incoming",
    "TopicMessage",
    "Turn",
    "Unreachable",
    "answer_text",
    "carry_out",
    "handle",
    "keep_edit",
    "note_unsupported",
    "offer_call_back",
    "operator_wrote",
    "press",
    "remind_operators",
    "shared_contact",
    "stale_button",
    "start",
    "survey_idle",
    "unknown_command",
]
