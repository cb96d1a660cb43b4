"""How the knowledge base learns of what happens in the conversations below it: a 👎 on an
answer and the comment on it, an operator's message, a question the model could not answer
(`assistant.grounding.question_unanswered`), and a person's data deleted at their request
or at the end of the retention period.

A proposal is a by-product of the message or rating that raised it: whatever fails in making
it is logged and undone to a savepoint, so what the person or the operator said is kept and
the conversation goes on.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_save

from assistant.grounding import question_unanswered
from conversations.models import AnswerRating, Message
from conversations.signals import contact_erased, messages_redacted, rating_commented
from knowledge import proposals

logger = logging.getLogger(__name__)


def _safely(service, **arguments) -> None:
    try:
        with transaction.atomic():
            service(**arguments)
    except Exception:
        # The ids only: a comment is the person's words.
        ids = {name: value for name, value in arguments.items() if name.endswith("_id")}
        logger.exception("Knowledge proposal not recorded: %s(%s)", service.__name__, ids)


def propose_downvoted(sender, instance: AnswerRating, created: bool, **_kwargs) -> None:
    if created and instance.value == AnswerRating.Value.DOWN:
        _safely(proposals.proposal_from_downvote, answer_id=instance.message_id)


def add_comment(sender, *, answer_id: int, comment: str, **_kwargs) -> None:
    _safely(proposals.proposal_add_comment, answer_id=answer_id, comment=comment)


def propose_operator_answer(sender, instance: Message, created: bool, **_kwargs) -> None:
    if created and instance.role == Message.Role.OPERATOR:
        _safely(proposals.proposal_from_operator, message_id=instance.pk)


def record_unanswered(sender, *, message_id: int, **_kwargs) -> None:
    _safely(proposals.proposal_from_unanswered, message_id=message_id)


def forget_person(sender, *, contact_id: int, **_identity) -> None:
    proposals.proposals_forget_person(contact_id=contact_id)


def forget_messages(sender, *, message_ids: list[int], **_kwargs) -> None:
    proposals.proposals_forget_messages(message_ids=message_ids)


def connect() -> None:
    post_save.connect(
        propose_downvoted, sender=AnswerRating, dispatch_uid="knowledge.propose_downvoted"
    )
    rating_commented.connect(add_comment, dispatch_uid="knowledge.add_comment")
    post_save.connect(
        propose_operator_answer, sender=Message, dispatch_uid="knowledge.propose_operator_answer"
    )
    question_unanswered.connect(record_unanswered, dispatch_uid="knowledge.record_unanswered")
    contact_erased.connect(forget_person, dispatch_uid="knowledge.forget_person")
    messages_redacted.connect(forget_messages, dispatch_uid="knowledge.forget_messages")
