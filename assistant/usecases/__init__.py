"""The assistant's use cases: what happens to each message, whichever channel it came from.

A channel (Telegram, the terminal) turns what arrived into an `Incoming` and calls `handle`
with the use case to run; everything else (storing, limits, the LLM, the lead card, staff
news) happens here, through the `assistant.channel.Channel` it was given.
"""

from assistant.usecases.buttons import INTEREST, ButtonRoute, press, stale_button
from assistant.usecases.commands import COMMANDS, Command
from assistant.usecases.contacts import contact_form, shared_contact
from assistant.usecases.conversation import (
    answer_text,
    keep_edit,
    note_unsupported,
    start,
    unknown_command,
)
from assistant.usecases.exchange import (
    Exchange,
    Incoming,
    Media,
    Turn,
    Unreachable,
    event_key,
    handle,
)
from assistant.usecases.feedback import survey_idle
from assistant.usecases.operator_desk import carry_out
from assistant.usecases.operators import TopicMessage, operator_wrote
from assistant.usecases.routing import BUTTONS, command_act, press_act
from assistant.usecases.voice import answer_voice
from assistant.usecases.waiting import offer_call_back, remind_operators

__all__ = [
    "BUTTONS",
    "COMMANDS",
    "INTEREST",
    "ButtonRoute",
    "Command",
    "Exchange",
    "Incoming",
    "Media",
    "TopicMessage",
    "Turn",
    "Unreachable",
    "answer_text",
    "answer_voice",
    "carry_out",
    "command_act",
    "contact_form",
    "event_key",
    "handle",
    "keep_edit",
    "note_unsupported",
    "offer_call_back",
    "operator_wrote",
    "press",
    "press_act",
    "remind_operators",
    "shared_contact",
    "stale_button",
    "start",
    "survey_idle",
    "unknown_command",
]
