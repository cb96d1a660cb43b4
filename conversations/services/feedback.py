"""What people think of the answers and of a conversation: 👍/👎 on an answer (with what was
wrong, when they say) and the satisfaction survey (CSAT 1-5) at a conversation's end.

Each is written once: a second press on the same answer or survey changes nothing, so a
button pressed twice (or a press handled again) is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.models import AnswerRating, ConversationSurvey, Message
from conversations.signals import rating_commented
from core.storable import storable_text


def prompt_version_label(versions: dict[str, int]) -> str:
    """One label for a set of prompt versions ("faq#3 system#12"), sorted by key."""
    return " ".join(f"{key}#{number}" for key, number in sorted(versions.items()))[:255]


@dataclass(frozen=True)
class RatingInfo:
    """The rating an answer has: `new` when this press made it."""

    value: str
    new: bool


def rating_record(*, message_id: int, contact_id: int, value: str) -> RatingInfo | None:
    """Rate an answer of the model to this lead; None when it is no such answer.

    The first rating stands. A 👎 asks for a comment, and only the latest 👎 waits for one.
    """
    reply = (
        Message.objects.filter(pk=message_id, contact_id=contact_id, role=Message.Role.ASSISTANT)
        .exclude(model_name="")
        .values("model_name", "prompt_versions")
        .first()
    )
    if reply is None:
        return None
    down = value == AnswerRating.Value.DOWN
    try:
        with transaction.atomic():
            if down:
                _awaiting(contact_id).update(awaiting_comment=False)
            AnswerRating.objects.create(
                message_id=message_id,
                contact_id=contact_id,
                value=value,
                awaiting_comment=down,
                model_name=reply["model_name"],
                prompt_versions=reply["prompt_versions"],
                prompt_version=prompt_version_label(reply["prompt_versions"]),
            )
    except IntegrityError:
        stored = AnswerRating.objects.get(message_id=message_id)
        return RatingInfo(stored.value, new=False)
    return RatingInfo(value, new=True)


def _awaiting(contact_id: int):
    return AnswerRating.objects.filter(contact_id=contact_id, awaiting_comment=True)


def rating_take_comment(*, contact_id: int, message_id: int, text: str) -> bool:
    """Keep the lead's message as what was wrong with the answer they rated 👎, if a comment
    is awaited (or this very message was taken as one before: it is handled again)."""
    with transaction.atomic():
        if AnswerRating.objects.filter(comment_message_id=message_id).exists():
            return True
        awaiting = _awaiting(contact_id).select_for_update()
        answer_id = awaiting.values_list("message_id", flat=True).first()
        if answer_id is None:
            return False
        comment = storable_text(text)
        AnswerRating.objects.filter(message_id=answer_id).update(
            awaiting_comment=False, comment=comment, comment_message_id=message_id
        )
        rating_commented.send(sender=AnswerRating, answer_id=answer_id, comment=comment)
        return True


def rating_skip_comment(*, contact_id: int, message_id: int) -> bool:
    """The lead would rather not say what was wrong; False when nothing was awaited."""
    return bool(_awaiting(contact_id).filter(message_id=message_id).update(awaiting_comment=False))


def survey_start(*, conversation_id: int, contact_id: int, trigger: str) -> int | None:
    """Claim the conversation's one survey; None when it was asked already (by this process
    or another)."""
    try:
        with transaction.atomic():
            survey = ConversationSurvey.objects.create(
                conversation_id=conversation_id, contact_id=contact_id, trigger=trigger
            )
    except IntegrityError:
        return None
    return survey.pk


def survey_answer(*, survey_id: int, contact_id: int, score: int | None) -> bool:
    """Keep the lead's score (None: skipped); only the first answer counts."""
    return bool(
        ConversationSurvey.objects.filter(
            pk=survey_id, contact_id=contact_id, answered_at__isnull=True
        ).update(score=score, skipped=score is None, answered_at=timezone.now())
    )
