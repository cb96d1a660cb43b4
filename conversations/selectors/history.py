"""What the assistant reads of a conversation: its history, what was said in answer to a
message, the lead."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from conversations.models import Contact, Message
from conversations.services import ContactInfo


@dataclass(frozen=True)
class HistoryItem:
    role: str
    text: str


def contact_info(*, contact_id: int) -> ContactInfo:
    return ContactInfo.from_contact(Contact.objects.get(pk=contact_id))


@dataclass(frozen=True)
class SaidBefore:
    """Something the bot stored in answer to a message, as a retry finds it."""

    id: int
    role: str
    text: str
    status: str
    delivery: str

    @property
    def reached_the_person(self) -> bool:
        """Delivered, or maybe delivered: either way it is not sent again."""
        return self.delivery in (Message.Delivery.DELIVERED, Message.Delivery.UNCERTAIN)


def replies_to(*, message_id: int) -> list[SaidBefore]:
    """What was stored in answer to a message, in the order it was said."""
    rows = Message.objects.filter(reply_to_id=message_id).order_by("pk")
    fields = ("pk", "role", "text", "status", "delivery")
    return [SaidBefore(*values) for values in rows.values_list(*fields)]


def conversation_history(
    *, conversation_id: int, limit: int = 100, up_to_message_id: int | None = None
) -> list[HistoryItem]:
    """The last `limit` words of a conversation, oldest first, for the LLM context.

    Only what the person wrote (or said: a voice message's transcript) and what the bot said
    to it: commands, button presses, contact
    cards (someone else's, too) and media are events, not the person's words, and the bot's
    fixed answers to them are left out with them. `up_to_message_id` ends the history at that
    message, whatever was stored after it meanwhile (the answer to it, written concurrently).
    """
    text = Message.ContentType.TEXT
    said = Q(role=Message.Role.USER) & (Q(content_type=text) | Q(transcribed=True))
    answered = Q(reply_to__content_type=text) | Q(reply_to__transcribed=True)
    words = said | (~Q(role=Message.Role.USER) & (Q(reply_to__isnull=True) | answered))
    if up_to_message_id is not None:
        words &= Q(id__lte=up_to_message_id)
    rows = (
        Message.objects.filter(words, conversation_id=conversation_id)
        .exclude(text="")
        .exclude(role=Message.Role.NOTE)
        .exclude(status=Message.Status.FAILED)
        .order_by("-created_at", "-id")
        .values_list("role", "text")[:limit]
    )
    return [HistoryItem(role, text) for role, text in reversed(list(rows))]
