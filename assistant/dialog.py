"""The channel-neutral assistant: what happens to one message, whoever delivered it.

The Telegram bot and the terminal chat both call these coroutines. Database work runs in
small sync functions through `db_call`; LLM calls stay on the event loop.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistant.context import ContextParts, build_messages, discovery_brief
from assistant.flood import CallLimiter
from assistant.gateway import ModelSpec
from assistant.replies import OnText, generate_reply
from assistant.selectors import fallback_model_spec, model_spec_for
from catalog.selectors import active_services
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.contact_details import (
    EMAIL_PATTERN,
    PHONE_CANDIDATE,
    find_email,
    find_phone,
    looks_like_phone_attempt,
)
from conversations.models import Message
from conversations.services import ContactInfo, ContactUpdate
from discovery import selectors as discovery_selectors

logger = logging.getLogger(__name__)


def db_call(function):
    """Run a sync ORM function off the event loop, with stale connections closed first.

    Closing old connections before each call is what lets a long-running bot recover
    from a database restart or a dropped connection on the next update.
    """

    def with_fresh_connection(*args, **kwargs):
        close_old_connections()
        return function(*args, **kwargs)

    return sync_to_async(with_fresh_connection, thread_sensitive=True)


def supported_language(code: str | None) -> str:
    """Map a client language such as 'en-US' to one we speak, else the site language."""
    short = (code or "").split("-")[0].lower()
    supported = {language for language, _name in settings.LANGUAGES}
    return short if short in supported else settings.LANGUAGE_CODE


@dataclass(frozen=True)
class Incoming:
    """One inbound message as plain data, whatever the channel."""

    channel: str
    external_id: str
    text: str
    content_type: str = Message.ContentType.TEXT
    username: str = ""
    first_name: str = ""
    last_name: str = ""
    language_code: str = ""
    update_id: int | None = None
    message_id: int | None = None
    group_chat_id: str = ""


@dataclass(frozen=True)
class Turn:
    """The stored incoming message and its contact; `duplicate` means already handled.

    `in_group`: said in a group chat, where nothing private (contact details, the lead card,
    the private chat's history) is used or repeated.
    """

    contact: ContactInfo
    message_id: int
    conversation_id: int
    duplicate: bool
    contact_created: bool
    in_group: bool = False


@dataclass(frozen=True)
class Answer:
    """What to show the person: notes first, then the answer itself (stored as `message_id`)."""

    text: str
    status: str
    message_id: int
    notes: list[str] = field(default_factory=list)
    model_name: str = ""


def _receive(incoming: Incoming) -> Turn:
    contact, created = conversation_services.contact_touch(
        channel=incoming.channel,
        external_id=incoming.external_id,
        username=incoming.username,
        first_name=incoming.first_name,
        last_name=incoming.last_name,
        language_code=supported_language(incoming.language_code),
    )
    if contact.is_blocked:
        conversation_services.contact_mark_blocked(
            channel=contact.channel, external_id=contact.external_id, blocked=False
        )
    recorded = conversation_services.message_record_incoming(
        contact_id=contact.id,
        text=incoming.text,
        content_type=incoming.content_type,
        telegram_update_id=incoming.update_id,
        telegram_message_id=incoming.message_id,
        idle_hours=settings.CONVERSATION_IDLE_HOURS,
        group_chat_id=incoming.group_chat_id,
    )
    return Turn(
        contact,
        recorded.id,
        recorded.conversation_id,
        recorded.duplicate,
        created,
        in_group=bool(incoming.group_chat_id),
    )


async def receive(incoming: Incoming) -> Turn:
    """Save the person's message first, so nothing said is lost whatever fails later."""
    return await db_call(_receive)(incoming)


@dataclass(frozen=True)
class DetailsCapture:
    """What a message told us; `turn` carries the contact as it is now."""

    turn: Turn
    update: ContactUpdate | None
    invalid_phone: bool
    saved: str = ""


def record_details(contact_id: int, phone: str | None, email: str | None) -> ContactUpdate:
    """Save contact details; they qualify the lead only when no discovery scenario applies."""
    scenario = discovery_selectors.scenario_for_contact(contact_id=contact_id)
    return conversation_services.contact_record_details(
        contact_id=contact_id, phone=phone, email=email, qualify=scenario is None
    )


async def capture_details(turn: Turn, text: str) -> DetailsCapture:
    """Recognize a phone number or e-mail typed in free text and save it on the lead."""
    phone, email = find_phone(text), find_email(text)
    if phone or email:
        update = await db_call(record_details)(turn.contact.id, phone, email)
        saved = ", ".join(detail for detail in (phone, email) if detail)
        turn = dataclasses.replace(turn, contact=update.contact)
        return DetailsCapture(turn, update, invalid_phone=False, saved=saved)
    invalid = looks_like_phone_attempt(text) and not email
    return DetailsCapture(turn, None, invalid_phone=invalid)


def is_only_contact_details(text: str) -> bool:
    """True when the message is just a phone/e-mail, so no LLM answer is needed."""
    remainder = PHONE_CANDIDATE.sub("", EMAIL_PATTERN.sub("", text))
    return sum(character.isalpha() for character in remainder) < 3


async def mark_blocked(channel: str, external_id: str) -> None:
    """The person blocked the bot: remember it so nobody keeps writing to them."""
    await db_call(conversation_services.contact_mark_blocked)(
        channel=channel, external_id=external_id
    )


@dataclass(frozen=True)
class _Prepared:
    messages: list[dict]
    models: list[ModelSpec]
    model_replaced: bool


def _prepare(turn: Turn) -> _Prepared:
    contact = turn.contact
    primary, replaced = model_spec_for(chosen_model_id=contact.chosen_model_id)
    if replaced:
        conversation_services.contact_set_model(contact_id=contact.id, model_id=None)
    fallback = fallback_model_spec()
    models = [spec for spec in (primary, fallback) if spec is not None]
    models = list({spec.pk: spec for spec in models}.values())
    history = conversation_selectors.conversation_history(
        conversation_id=turn.conversation_id, limit=settings.ASSISTANT_HISTORY_MESSAGES
    )
    history = [conversation_selectors.HistoryItem(item.role, _cut(item.text)) for item in history]
    brief, card = ("", {}) if turn.in_group else _discovery(contact)
    parts = ContextParts(
        prompts=conversation_selectors.prompt_texts(language=contact.language_code),
        services=active_services(language=contact.language_code),
        contact=contact,
        history=history,
        discovery=brief,
        card=card,
        private_chat=not turn.in_group,
    )
    window = primary.context_window if primary else 8192
    output = primary.max_output_tokens if primary else 800
    messages = build_messages(parts, context_window=window, max_output_tokens=output)
    return _Prepared(messages, models, replaced)


def _discovery(contact: ContactInfo) -> tuple[str, dict[str, str]]:
    """The scenario's guidance and what is still to learn, and the lead card's known values."""
    scenario = discovery_selectors.scenario_for_contact(contact_id=contact.id)
    if scenario is None:
        return "", {}
    language = contact.language_code
    card = discovery_selectors.lead_card(
        contact_id=contact.id, scenario=scenario, language=language
    )
    declined = discovery_selectors.declined_keys(contact_id=contact.id)
    known = {entry.label: entry.display for entry in card if entry.is_known}
    return discovery_brief(scenario, card, declined, language), known


def _cut(text: str) -> str:
    limit = settings.ASSISTANT_MAX_INPUT_CHARS
    return text if len(text) <= limit else text[:limit]


#: Button presses a person may make per minute; each may write to the database or to staff.
BUTTON_PRESSES_PER_MINUTE = 20

_limiters: dict[str, CallLimiter] = {}


def limiter() -> CallLimiter:
    """The process-wide flood limiter on LLM use, built from settings on first use."""
    if "llm" not in _limiters:
        _limiters["llm"] = CallLimiter(
            settings.ASSISTANT_RATE_LIMIT_CALLS, settings.ASSISTANT_RATE_LIMIT_WINDOW
        )
    return _limiters["llm"]


def press_limiter() -> CallLimiter:
    """The process-wide limit on button presses per person."""
    if "press" not in _limiters:
        _limiters["press"] = CallLimiter(BUTTON_PRESSES_PER_MINUTE, 60)
    return _limiters["press"]


def reset_limiter() -> None:
    _limiters.clear()


@dataclass(frozen=True)
class Admission:
    """Whether a message may use the LLM (answer and lead card); if not, the note to send."""

    allowed: bool
    note: str = ""


def admit(turn: Turn) -> Admission:
    """The flood limit: a person gets a configured number of LLM calls per window.

    Asked exactly once per message, before the first LLM call of any kind (the answer or the
    lead card), so a flood costs neither; the slow-down note comes once per window.
    """
    return _admission(limiter(), turn, TOO_FAST_NOTE)


def admit_press(turn: Turn) -> Admission:
    """A button press may act unless the person presses faster than anyone reads."""
    return _admission(press_limiter(), turn, TOO_MANY_PRESSES_NOTE)


TOO_FAST_NOTE = gettext_lazy("You are writing faster than I can answer. Please wait a minute.")
TOO_MANY_PRESSES_NOTE = gettext_lazy("You are pressing buttons too fast. Please wait a moment.")


def _admission(calls: CallLimiter, turn: Turn, note) -> Admission:
    allowed, warn = calls.allow(turn.contact.id)
    if allowed:
        return Admission(True)
    logger.info(
        "Contact %s is over a limit (%s per %s s)",
        turn.contact.id,
        calls.max_calls,
        calls.window_seconds,
    )
    with translation.override(turn.contact.language_code):
        return Admission(False, str(note) if warn else "")


async def answer(turn: Turn, text: str, on_text: OnText) -> Answer:
    """Answer a text message with the LLM, streaming through `on_text`, and store the reply."""
    language = turn.contact.language_code
    notes = []
    with translation.override(language):
        if len(text) > settings.ASSISTANT_MAX_INPUT_CHARS:
            notes.append(
                _("Your message is long, so I read only its first %(limit)s characters.")
                % {"limit": settings.ASSISTANT_MAX_INPUT_CHARS}
            )
    prepared = await db_call(_prepare)(turn)
    if prepared.model_replaced:
        with translation.override(language):
            notes.append(
                _("The model you chose is no longer available; I switched to the default.")
            )
    result = await generate_reply(
        models=prepared.models,
        messages=prepared.messages,
        on_text=on_text,
        deadline_seconds=settings.LLM_TOTAL_DEADLINE,
        max_retries=settings.LLM_MAX_RETRIES,
    )
    final_text = _final_text(result.text, result.status, language)
    reply_id = await db_call(conversation_services.message_record_reply)(
        contact_id=turn.contact.id,
        conversation_id=turn.conversation_id,
        text=result.text or final_text,
        reply_to_id=turn.message_id,
        model_name=result.model_name,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        tokens_estimated=result.tokens_estimated,
        latency_ms=result.latency_ms,
        status=result.status,
        error=result.error,
    )
    if result.status != Message.Status.COMPLETE:
        logger.error("No full answer for contact %s: %s", turn.contact.id, result.error)
    return Answer(final_text, result.status, reply_id, notes, result.model_name)


def _final_text(text: str, status: str, language: str) -> str:
    with translation.override(language):
        if status == Message.Status.COMPLETE:
            return text
        if status == Message.Status.PARTIAL:
            return text + "\n\n" + _("(The answer was cut off. Please ask again if you need more.)")
        return _(
            "Sorry, I cannot answer right now. Please try again in a few minutes, "
            "or leave your phone number and we will call you back."
        )


async def record_note(turn: Turn, note: str) -> int:
    """Store a fixed reply of the bot (a button's answer, a notice) in the history."""
    return await db_call(conversation_services.message_record_reply)(
        contact_id=turn.contact.id,
        conversation_id=turn.conversation_id,
        text=note,
        reply_to_id=turn.message_id,
        role=Message.Role.SYSTEM,
    )


async def record_delivery(message_id: int, *, state: str, parts: list[dict], error: str) -> None:
    """What became of a stored reply or note once the channel tried to deliver it."""
    await db_call(conversation_services.message_record_delivery)(
        message_id=message_id, delivery=state, parts=parts, error=error
    )
