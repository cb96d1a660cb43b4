"""Personal-data rights: a person's data deleted at their request, and texts removed once
they outlive the retention period.

Deleting keeps the rows and what they count (analytics, the funnel, delivery outcomes) and
removes what is about the person: the lead's names and contact details, every message's
text and what they said was wrong with an answer, the reasons a handoff gave, operators'
replies not yet sent, the admin's history naming the lead. The anonymised lead, with the time
of the request (`erased_at`), is the record that consent was withdrawn; the person's next
message starts a new lead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from conversations.models import AnswerRating, Contact, Handoff, Message, OutboxEntry, StaffTopic
from conversations.services.handoffs import TopicInfo
from conversations.signals import contact_erased, messages_redacted

logger = logging.getLogger(__name__)

#: Messages whose text is removed per transaction by `messages_redact_before`.
REDACT_BATCH = 1000


@dataclass(frozen=True)
class Erasure:
    """What became of a request to delete a lead's data; `topic` is the lead's topic in the
    staff chat, which the channel deletes with what was mirrored there."""

    contact_id: int
    erased: bool
    topic: TopicInfo | None


def contact_erase(*, contact_id: int) -> Erasure:
    """Delete what is kept about the person of this lead, in one transaction; a lead already
    erased is left as it is (`erased` False)."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        if contact.erased_at is not None:
            return Erasure(contact_id, erased=False, topic=None)
        was = {"channel": contact.channel, "external_id": contact.external_id}
        now = timezone.now()
        Message.objects.filter(contact_id=contact_id).update(
            text="", error="", delivery_error="", media_file="", redacted=True
        )
        AnswerRating.objects.filter(contact_id=contact_id).update(
            comment="", awaiting_comment=False
        )
        Handoff.objects.filter(contact_id=contact_id).update(why="")
        Handoff.objects.filter(contact_id=contact_id, state__in=Handoff.OPEN).update(
            state=Handoff.State.CLOSED, closed_at=now
        )
        OutboxEntry.objects.filter(contact_id=contact_id).delete()
        topic = StaffTopic.objects.filter(contact_id=contact_id).first()
        if topic is not None:
            topic.delete()
        _anonymise(contact, now)
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Contact), object_id=str(contact_id)
        ).update(object_repr=f"#{contact_id}")
        contact_erased.send(sender=Contact, contact_id=contact_id, bot_id=contact.bot_id, **was)
    logger.info("Personal data of contact %s deleted at the person's request", contact_id)
    info = TopicInfo(contact_id, topic.chat_id, topic.thread_id) if topic else None
    return Erasure(contact_id, erased=True, topic=info)


def _anonymise(contact: Contact, now: datetime) -> None:
    """The lead keeps its status, source, language and times; nothing says who it was."""
    contact.external_id = f"erased-{contact.pk}"
    contact.username = contact.first_name = contact.last_name = ""
    contact.phone = contact.email = ""
    contact.consent_at = None
    contact.consent_policy_version = ""
    contact.erased_at = now
    contact.save()


def messages_redact_before(*, cutoff: datetime, batch_size: int = REDACT_BATCH) -> int:
    """Remove the text of every message stored before `cutoff` (the retention period), in
    batches along the `message_text_kept` index; returns how many."""
    redacted = 0
    while True:
        with transaction.atomic():
            batch = list(
                Message.objects.filter(redacted=False, created_at__lt=cutoff)
                .order_by("created_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            Message.objects.filter(pk__in=batch).update(
                text="", error="", delivery_error="", media_file="", redacted=True
            )
            # What was wrong with an answer is the person's text too, kept as their message.
            AnswerRating.objects.filter(comment_message_id__in=batch).update(comment="")
            messages_redacted.send(sender=Message, message_ids=batch)
        redacted += len(batch)
        if len(batch) < batch_size:
            return redacted
