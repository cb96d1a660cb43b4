"""Approved conversations as examples for fine-tuning a model, in OpenAI's chat format (JSONL:
one `{"messages": [...]}` per line, the bot's system prompt first).

A conversation is approved when staff approved a proposal from it (or one merged into an
approved one), or when the person rated its answers 👍 and none 👎. Its example is what the
person and the bot said: the person's messages are the user's turns; the model's answers and
the operators' messages the assistant's. Left out: internal notes, the bot's own notices,
commands, messages whose text was removed, and a person's comment on a 👎 answer. A 👎
answer is replaced by its correction (the proposal's answer, as staff approved or an operator
wrote it, whose messages it stands for), and left out when there is none. Turns of one side
in a row are joined; the example starts with the person and ends with an answer, and a
conversation without a question and its answer gives none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from django.db.models import Q, QuerySet

from conversations.models import AnswerRating, Conversation, Message
from conversations.selectors.prompts import prompt_texts
from knowledge.models import Proposal

USER, ASSISTANT = "user", "assistant"


def approved_conversations(
    *, visible: Q | None = None, bot_id: int | None = None, since: datetime | None = None
) -> QuerySet[Conversation]:
    """The approved conversations (`visible`: a filter on them), of a bot, started since."""
    approved = Proposal.objects.filter(
        Q(status=Proposal.Status.APPROVED)
        | Q(status=Proposal.Status.MERGED, merged_into__status=Proposal.Status.APPROVED)
    ).values("conversation_id")
    rated = AnswerRating.objects.values("message__conversation_id")
    liked = rated.filter(value=AnswerRating.Value.UP)
    disliked = rated.filter(value=AnswerRating.Value.DOWN)
    rows = Conversation.objects.filter(Q(pk__in=approved) | (Q(pk__in=liked) & ~Q(pk__in=disliked)))
    if visible is not None:
        rows = rows.filter(visible)
    if bot_id is not None:
        rows = rows.filter(contact__bot_id=bot_id)
    if since is not None:
        rows = rows.filter(started_at__gte=since)
    return rows.select_related("contact").order_by("pk")


def finetuning_lines(conversations: QuerySet[Conversation]) -> Iterator[str]:
    """One JSON line per conversation that makes an example."""
    for conversation in conversations.iterator(chunk_size=200):
        if (example := conversation_example(conversation)) is not None:
            yield json.dumps(example, ensure_ascii=False) + "\n"


def conversation_example(conversation: Conversation) -> dict | None:
    turns = _turns(conversation)
    while turns and turns[0]["role"] != USER:
        turns.pop(0)
    while turns and turns[-1]["role"] != ASSISTANT:
        turns.pop()
    if not turns:
        return None
    contact = conversation.contact
    system = prompt_texts(language=contact.language_code, bot_id=contact.bot_id).get("system")
    head = [{"role": "system", "content": system}] if system else []
    return {"messages": head + turns}


def _turns(conversation: Conversation) -> list[dict]:
    """What each side said, a 👎 answer replaced by its correction, one side's turns in a
    row joined."""
    ratings = AnswerRating.objects.filter(message__conversation=conversation)
    comments = set(
        ratings.exclude(comment_message=None).values_list("comment_message_id", flat=True)
    )
    corrections = _corrections(conversation, ratings)
    turns: list[dict] = []
    correcting = False
    for message in _said(conversation):
        if message.pk in comments:
            continue
        if message.role == Message.Role.USER:
            correcting = False
            _add(turns, USER, message.text)
        elif message.pk in corrections:
            correcting = bool(corrections[message.pk])
            _add(turns, ASSISTANT, corrections[message.pk])
        elif not (correcting and message.role == Message.Role.OPERATOR):
            _add(turns, ASSISTANT, message.text)
    return turns


def _said(conversation: Conversation) -> QuerySet[Message]:
    return (
        conversation.messages.filter(
            role__in=(Message.Role.USER, Message.Role.ASSISTANT, Message.Role.OPERATOR),
            redacted=False,
            status=Message.Status.COMPLETE,
        )
        .exclude(content_type=Message.ContentType.COMMAND)
        .exclude(text="")
        .only("pk", "role", "text")
        .order_by("created_at", "pk")
    )


def _corrections(conversation: Conversation, ratings: QuerySet[AnswerRating]) -> dict[int, str]:
    """Each 👎 answer's correction ("" when there is none): the answer of its question's
    proposal, unless staff rejected it."""
    downvoted = list(
        ratings.filter(value=AnswerRating.Value.DOWN).values_list(
            "message_id", "message__reply_to_id"
        )
    )
    answers = dict(
        Proposal.objects.filter(
            conversation=conversation,
            question_message_id__in=[question for _answer, question in downvoted],
        )
        .exclude(status=Proposal.Status.REJECTED)
        .values_list("question_message_id", "answer")
    )
    return {answer: answers.get(question, "") for answer, question in downvoted}


def _add(turns: list[dict], role: str, text: str) -> None:
    if not text:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"] += "\n\n" + text
    else:
        turns.append({"role": role, "content": text})
