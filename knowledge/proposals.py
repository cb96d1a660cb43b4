"""What the conversations propose the knowledge base should know, and staff's decisions on it.

A proposal pairs a person's question with an answer for staff to approve into a knowledge
entry. It arises three ways: the model found nothing and handed the person to staff
(unanswered), the person rated the answer 👎 (downvoted; their comment on it may come later),
or an operator wrote to the person (operator: their message answers the person's latest
question, and corrects the answer of a proposal already open for it).

A question is proposed once: a row exists per question message. One that asks the same as an
open proposal of the bot in its language (`knowledge.likeness`) is kept as merged into it,
which counts it as asked once more; approving a proposal merges the open ones that ask the
same, and updates the active entry that asks the same instead of adding a second one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.models import AnswerRating, Message
from knowledge.likeness import same_question, stems
from knowledge.models import KnowledgeEntry, Proposal

logger = logging.getLogger(__name__)


# --- Proposed by the conversations ---------------------------------------------------------


def proposal_from_unanswered(*, message_id: int) -> Proposal | None:
    """The person's question found nothing in the knowledge base and went to staff."""
    question = Message.objects.select_related("contact").get(pk=message_id)
    if not _askable(question):
        return None
    return _propose(question, kind=Proposal.Kind.UNANSWERED)


def proposal_from_downvote(*, answer_id: int) -> Proposal | None:
    """The person rated an answer 👎: its question is proposed with the answer that failed."""
    answer = Message.objects.get(pk=answer_id)
    if (question := _question_of(answer)) is None:
        return None
    return _propose(question, kind=Proposal.Kind.DOWNVOTED, bad_answer=answer.text)


def proposal_add_comment(*, answer_id: int, comment: str) -> None:
    """What the person said was wrong with the answer they rated 👎, said after the rating; an
    open proposal it was merged into takes it too, unless it has a comment of its own."""
    if (question := _question_of(Message.objects.get(pk=answer_id))) is None:
        return
    rows = Proposal.objects.filter(question_message=question, kind=Proposal.Kind.DOWNVOTED)
    rows.update(comment=comment)
    Proposal.objects.filter(
        pk__in=rows.filter(status=Proposal.Status.MERGED).values("merged_into"),
        status=Proposal.Status.OPEN,
        comment="",
    ).update(comment=comment)


def proposal_from_operator(*, message_id: int) -> Proposal | None:
    """An operator wrote to the person: that answers the person's latest question.

    The proposal of that question, if one waits (the model could not answer, or its answer
    was rated 👎), takes the operator's words as its answer; several messages in a row add
    up. A question already reviewed is left as staff decided.
    """
    answer = Message.objects.get(pk=message_id)
    if (question := _question_of(answer)) is None:
        return None
    return _propose(question, kind=Proposal.Kind.OPERATOR, answer=answer)


#: What a person sends that asks nothing, passed over in looking for their question.
NOT_WORDS = (
    Message.ContentType.CALLBACK,
    Message.ContentType.COMMAND,
    Message.ContentType.CONTACT,
    Message.ContentType.STICKER,
    Message.ContentType.LOCATION,
)


def _question_of(message: Message) -> Message | None:
    """The person's question a message answers: the one it replies to, else the person's
    latest words before it in the conversation (button presses, commands, contact cards,
    stickers and locations are passed over, and so is a comment on a 👎); None when that asks
    nothing (no words, or its text was removed)."""
    if message.reply_to_id is not None:
        question = message.reply_to
    else:
        comments = AnswerRating.objects.filter(
            contact_id=message.contact_id, comment_message__isnull=False
        ).values("comment_message_id")
        question = (
            Message.objects.filter(
                conversation_id=message.conversation_id, role=Message.Role.USER, pk__lt=message.pk
            )
            .exclude(pk__in=comments)
            .exclude(content_type__in=NOT_WORDS)
            .order_by("-pk")
            .first()
        )
    return question if question is not None and _askable(question) else None


def _askable(message: Message) -> bool:
    return (
        message.role == Message.Role.USER
        and not message.redacted
        and message.content_type != Message.ContentType.COMMAND
        and any(character.isalpha() for character in message.text)
    )


def _propose(
    question: Message, *, kind: str, bad_answer: str = "", answer: Message | None = None
) -> Proposal | None:
    """The question's proposal, made now or added to: the first source to propose a question
    makes its row; the next ones fill what it lacks."""
    with transaction.atomic():
        row = Proposal.objects.select_for_update().filter(question_message=question).first()
        if row is None:
            return _new_proposal(question, kind=kind, bad_answer=bad_answer, answer=answer)
        if row.status not in (Proposal.Status.OPEN, Proposal.Status.MERGED):
            return None
        row.bad_answer = row.bad_answer or bad_answer
        if answer is not None:
            _add_answer(row, answer)
            if row.merged_into_id is not None:
                _share_answer(row, row.merged_into_id)
        row.save()
        return row


def _new_proposal(
    question: Message, *, kind: str, bad_answer: str, answer: Message | None
) -> Proposal:
    contact = question.contact
    proposal = Proposal(
        kind=kind,
        bot_id=contact.bot_id,
        language=_language(contact.language_code),
        question=question.text,
        bad_answer=bad_answer,
        conversation_id=question.conversation_id,
        question_message=question,
    )
    if answer is not None:
        _add_answer(proposal, answer)
    twin = _twin(proposal)
    if twin is not None:
        proposal.status, proposal.merged_into = Proposal.Status.MERGED, twin
        Proposal.objects.filter(pk=twin.pk).update(asked_times=F("asked_times") + 1)
        if answer is not None:
            _share_answer(proposal, twin.pk)
    proposal.save()
    return proposal


def _add_answer(proposal: Proposal, answer: Message) -> None:
    proposal.answer = f"{proposal.answer}\n\n{answer.text}" if proposal.answer else answer.text
    proposal.answer_message_id = proposal.answer_message_id or answer.pk


def _share_answer(proposal: Proposal, twin_id: int) -> None:
    """The open proposal a question was merged into takes the operator's answer to it, unless
    it has another: an answer of its own, or staff's edit."""
    Proposal.objects.filter(pk=twin_id, status=Proposal.Status.OPEN).filter(
        Q(answer="") | Q(answer_message_id=proposal.answer_message_id)
    ).update(answer=proposal.answer, answer_message_id=proposal.answer_message_id)


def _language(code: str) -> str:
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _twin(proposal: Proposal) -> Proposal | None:
    """The open proposal of the same bot and language that asks the same, the most asked
    first."""
    asked = stems(proposal.question)
    candidates = (
        Proposal.objects.filter(
            status=Proposal.Status.OPEN, bot_id=proposal.bot_id, language=proposal.language
        )
        .order_by("-asked_times", "pk")
        .only("pk", "question")
    )
    return next((row for row in candidates if same_question(stems(row.question), asked)), None)


def proposals_forget_person(*, contact_id: int) -> None:
    """A person's data is deleted at their request: the proposals of their questions go
    (the entries staff approved from them stay: staff's words)."""
    Proposal.objects.filter(
        Q(question_message__contact_id=contact_id) | Q(conversation__contact_id=contact_id)
    ).delete()


def proposals_forget_messages(*, message_ids: list[int]) -> None:
    """The retention period removed these messages' text: the proposals that copied it (of a
    question, its 👎 answer or an operator's answer) go with it, as at a person's request."""
    Proposal.objects.filter(
        Q(question_message_id__in=message_ids) | Q(answer_message_id__in=message_ids)
    ).delete()


# --- Staff's review ------------------------------------------------------------------------


class ReviewRefused(Exception):
    """Why staff cannot do that to a proposal, in words for them."""


@dataclass(frozen=True)
class Approval:
    entry: KnowledgeEntry
    #: False: an active entry asked the same and took the answer.
    created: bool
    #: How many open proposals asked the same and were merged into this one.
    merged: int
    #: False: the entry is saved but the search does not find it yet (see the log).
    indexed: bool


def proposal_approve(
    *, proposal_id: int, user_id: int, question: str | None = None, answer: str | None = None
) -> Approval:
    """Approve an open proposal with its question and answer as staff edited them (None: as
    proposed) into a knowledge entry, searchable at once."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        if proposal.status != Proposal.Status.OPEN:
            raise ReviewRefused(_("“%(question)s” was reviewed already.") % _named(proposal))
        proposal.question = (proposal.question if question is None else question).strip()
        proposal.answer = (proposal.answer if answer is None else answer).strip()
        if not proposal.question or not proposal.answer:
            raise ReviewRefused(
                _("“%(question)s” has no answer yet: write the answer, then approve it.")
                % _named(proposal)
            )
        entry, created = _entry_for(proposal, user_id)
        now = timezone.now()
        proposal.status, proposal.entry = Proposal.Status.APPROVED, entry
        proposal.reviewed_by_id, proposal.reviewed_at = user_id, now
        proposal.save()
        merged = _merge_twins(proposal, now)
    return Approval(entry, created, merged, entry_index(entry_id=entry.pk))


def _named(proposal: Proposal) -> dict:
    return {"question": proposal.question[:80] or proposal.pk}


def _entry_for(proposal: Proposal, user_id: int) -> tuple[KnowledgeEntry, bool]:
    """The active entry that asks the same gets the approved answer; else a new entry."""
    asked = stems(proposal.question)
    entries = KnowledgeEntry.objects.filter(
        is_active=True, bot_id=proposal.bot_id, language=proposal.language
    ).only("pk", "question")
    for entry in entries:
        if same_question(stems(entry.question), asked):
            KnowledgeEntry.objects.filter(pk=entry.pk).update(
                answer=proposal.answer,
                approved_by_id=user_id,
                merged_count=F("merged_count") + 1,
                updated_at=timezone.now(),
            )
            entry.refresh_from_db()
            return entry, False
    entry = KnowledgeEntry.objects.create(
        bot_id=proposal.bot_id,
        language=proposal.language,
        question=proposal.question,
        answer=proposal.answer,
        approved_by_id=user_id,
    )
    return entry, True


def _merge_twins(proposal: Proposal, now) -> int:
    """The open proposals asking the same as the approved one are merged into it; they, and
    the ones merged into it before, come from its entry."""
    asked = stems(proposal.question)
    open_rows = Proposal.objects.filter(
        status=Proposal.Status.OPEN, bot_id=proposal.bot_id, language=proposal.language
    ).only("pk", "question")
    twins = [row.pk for row in open_rows if same_question(stems(row.question), asked)]
    Proposal.objects.filter(pk__in=twins).update(
        status=Proposal.Status.MERGED,
        merged_into=proposal,
        reviewed_by_id=proposal.reviewed_by_id,
        reviewed_at=now,
    )
    Proposal.objects.filter(merged_into=proposal).update(entry=proposal.entry)
    return len(twins)


def proposal_reject(*, proposal_id: int, user_id: int) -> bool:
    """Nothing for the knowledge base; False when it was reviewed already."""
    return bool(
        Proposal.objects.filter(pk=proposal_id, status=Proposal.Status.OPEN).update(
            status=Proposal.Status.REJECTED, reviewed_by_id=user_id, reviewed_at=timezone.now()
        )
    )


# --- Indexing ------------------------------------------------------------------------------


def entry_index(*, entry_id: int) -> bool:
    """Put the entry's question and answer into the search now; False (logged) when that
    failed: the entry is kept, and saving it again indexes it. A failed write is undone to a
    savepoint, so the transaction of an admin save goes on."""
    try:
        with transaction.atomic():
            _index(entry_id)
    except Exception:
        logger.exception("Knowledge entry %s was saved but not indexed", entry_id)
        return False
    return True


def _index(entry_id: int) -> None:
    from knowledge.indexing import index_entry

    index_entry(entry_id)
