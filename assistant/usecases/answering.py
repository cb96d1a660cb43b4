"""Answering a question with the LLM: the request, the streamed reply, the stored answer."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from assistant import services as assistant_services
from assistant.channel import UNREACHABLE, AnswerStream
from assistant.context import ContextParts, build_request, discovery_brief
from assistant.gateway import ModelSpec
from assistant.grounding import Findings, find_passages, question_unanswered
from assistant.replies import ReplyResult, generate_reply
from assistant.selectors import fallback_model_spec, model_spec_for
from assistant.usecases.exchange import Exchange, Turn, Unreachable
from assistant.usecases.feedback import rating_buttons
from assistant.usecases.operators import (
    HAND_TO_PERSON,
    HandingOver,
    asked_for_a_person,
    hand_over,
    waiting_note,
)
from assistant.usecases.speech import speak_answer
from catalog.selectors import active_services
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.models import Message
from core.db import db_call
from discovery import selectors as discovery_selectors
from discovery.selectors import ScenarioInfo

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Prepared:
    messages: list[dict]
    models: list[ModelSpec]
    model_replaced: bool
    #: The prompts' versions that built the request (`Message.prompt_versions`).
    prompt_versions: dict[str, int]
    #: Functions the model may call: handing the conversation to a person (private chats).
    tools: list[dict] | None = None
    #: The knowledge base's passages in the request, kept with the answer as its sources.
    sources: list[dict] = dataclasses.field(default_factory=list)


def _prepare(turn: Turn, scenario: ScenarioInfo | None, knowledge: Findings) -> _Prepared:
    """Everything the request needs, in one database hop: models, prompts, catalog, history;
    and the knowledge base's passages found for the question."""
    contact = turn.contact
    primary, replaced = model_spec_for(contact_id=contact.id, bot_id=contact.bot_id)
    if replaced:
        assistant_services.contact_set_model(contact_id=contact.id, model_id=None)
    fallback = fallback_model_spec(contact.bot_id)
    models = [spec for spec in (primary, fallback) if spec is not None]
    models = list({spec.pk: spec for spec in models}.values())
    history = conversation_selectors.conversation_history(
        conversation_id=turn.conversation_id, limit=settings.ASSISTANT_HISTORY_MESSAGES
    )
    history = [conversation_selectors.HistoryItem(item.role, _cut(item.text)) for item in history]
    brief, card = _discovery(contact, scenario) if scenario and not turn.in_group else ("", {})
    parts = ContextParts(
        prompts=conversation_selectors.prompt_texts(
            language=contact.language_code, bot_id=contact.bot_id
        ),
        services=active_services(language=contact.language_code, bot_id=contact.bot_id),
        contact=contact,
        history=history,
        discovery=brief,
        card=card,
        private_chat=not turn.in_group,
        knowledge=knowledge,
    )
    window = primary.context_window if primary else 8192
    output = primary.max_output_tokens if primary else 800
    request = build_request(parts, context_window=window, max_output_tokens=output)
    versions = conversation_selectors.prompt_versions(
        language=contact.language_code, bot_id=contact.bot_id
    )
    tools = None if turn.in_group else [HAND_TO_PERSON]
    sources = [passage.as_source() for passage in request.passages]
    return _Prepared(request.messages, models, replaced, versions, tools, sources)


def _discovery(contact, scenario: ScenarioInfo) -> tuple[str, dict[str, str]]:
    """The scenario's guidance and what is still to learn, and the lead card's known values."""
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


def _record_reply(turn: Turn, result: ReplyResult, shown_text: str, prepared: _Prepared) -> int:
    return conversation_services.message_record_reply(
        contact_id=turn.contact.id,
        conversation_id=turn.conversation_id,
        text=result.text or shown_text,
        reply_to_id=turn.message_id,
        model_name=result.model_name,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        tokens_estimated=result.tokens_estimated,
        latency_ms=result.latency_ms,
        status=result.status,
        error=result.error,
        prompt_versions=prepared.prompt_versions,
        sources=prepared.sources if result.status != Message.Status.FAILED else [],
    )


async def answer(exchange: Exchange, scenario: ScenarioInfo | None) -> None:
    """Answer the person's text with the LLM, streaming it, and keep what became of it.

    A sign of life shows before anything slow; the reply is stored before it is delivered.
    An answer a previous attempt stored is delivered as it was, never generated again; a
    whole one is then also read aloud where the person (or the bot) wants that.
    """
    earlier = exchange.recall(Message.Role.ASSISTANT)
    if earlier is None:
        reply = await _generate(exchange, scenario)
    elif earlier.reached_the_person:
        return
    else:
        reply = _Reply(
            earlier.id,
            earlier.status,
            _shown_text(earlier.status, earlier.text),
            exchange.channel.answer_stream(),
        )
    try:
        for note in _notes(exchange.turn.text, reply.model_replaced):
            await exchange.say(note)
    except Unreachable:
        await exchange.record(reply.id, UNREACHABLE)
    buttons = rating_buttons(exchange, reply.id, reply.status)
    await exchange.record(reply.id, await reply.stream.finish(reply.shown, buttons))
    if reply.status == Message.Status.COMPLETE:
        await speak_answer(exchange, reply.shown)
    if reply.handing_over is not None:
        await hand_over(exchange, reply.handing_over.why, told=reply.handing_over.told)


@dataclass(frozen=True)
class _Reply:
    """A stored answer on its way to the person."""

    id: int
    status: str
    #: What the person is shown (an apology for an answer that failed).
    shown: str
    stream: AnswerStream
    #: The person's chosen model had to be replaced by the default.
    model_replaced: bool = False
    #: The handoff the model asked for, if any.
    handing_over: HandingOver | None = None


async def _generate(exchange: Exchange, scenario: ScenarioInfo | None) -> _Reply:
    """Stream a new answer and store it. An answer that is only the model's call to hand the
    conversation to a person becomes the note saying a person will answer."""
    stream = exchange.channel.answer_stream()
    stream.start_thinking()
    contact = exchange.contact
    knowledge = await find_passages(
        question=_cut(exchange.turn.text),
        bot_id=contact.bot_id,
        language=contact.language_code,
        clients=exchange.runtime.clients,
    )
    prepared = await db_call(_prepare)(exchange.turn, scenario, knowledge)
    result = await generate_reply(
        models=prepared.models,
        messages=prepared.messages,
        on_text=stream.update,
        deadline_seconds=settings.LLM_TOTAL_DEADLINE,
        max_retries=settings.LLM_MAX_RETRIES,
        clients=exchange.runtime.clients,
        tools=prepared.tools,
    )
    await stream.stop()  # the text is complete: no preview of it while the reply is stored
    handing_over = asked_for_a_person(result.tool_call)
    if handing_over is not None and knowledge.searched and not knowledge.passages:
        await db_call(question_unanswered.send)(sender=None, message_id=exchange.turn.message_id)
    if handing_over is not None and not result.text.strip():
        result = dataclasses.replace(result, text=waiting_note(exchange.turn.bot))
        handing_over = dataclasses.replace(handing_over, told=True)
    shown = _shown_text(result.status, result.text)
    reply_id = await db_call(_record_reply)(exchange.turn, result, shown, prepared)
    if result.status != Message.Status.COMPLETE:
        logger.error("No full answer for contact %s: %s", exchange.contact.id, result.error)
    return _Reply(reply_id, result.status, shown, stream, prepared.model_replaced, handing_over)


def _notes(text: str, model_replaced: bool) -> list[str]:
    """What the person should know about how their message was answered."""
    notes = []
    if len(text) > settings.ASSISTANT_MAX_INPUT_CHARS:
        notes.append(
            _("Your message is long, so I read only its first %(limit)s characters.")
            % {"limit": settings.ASSISTANT_MAX_INPUT_CHARS}
        )
    if model_replaced:
        notes.append(_("The model you chose is no longer available; I switched to the default."))
    return notes


def _shown_text(status: str, text: str) -> str:
    if status == Message.Status.COMPLETE:
        return text
    if status == Message.Status.PARTIAL:
        return text + "\n\n" + _("(The answer was cut off. Please ask again if you need more.)")
    return _(
        "Sorry, I cannot answer right now. Please try again in a few minutes, "
        "or leave your phone number and we will call you back."
    )
