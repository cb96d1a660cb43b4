"""The conversations whose people are asked how satisfied they were."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef

from conversations.models import Conversation, Handoff, Message
from conversations.services import ContactInfo


@dataclass(frozen=True)
class SurveyTarget:
    """A private conversation that went idle, its lead to be asked how satisfied they were."""

    conversation_id: int
    contact: ContactInfo


def conversations_to_survey(
    *, bot_ids: Collection[int], idle_since: datetime, not_before: datetime
) -> list[SurveyTarget]:
    """Open private conversations on one of `bot_ids` whose person last wrote between
    `not_before` and `idle_since`, the assistant answered in, and nobody surveyed yet; not
    while an operator has the lead, nor for a lead who blocked the bot.

    The window is read first, along the partial index `conversation_open_private`, and only
    its conversations are checked further: a planner that knows no better would otherwise
    walk every conversation of the bots' leads (SQLite did).
    """
    window = Conversation.objects.filter(
        group_chat_id="",
        closed_at__isnull=True,
        last_message_at__gt=not_before,
        last_message_at__lte=idle_since,
        survey__isnull=True,
    )
    in_window = list(window.order_by().values_list("pk", flat=True))
    answered = Message.objects.filter(
        conversation_id=OuterRef("pk"), role=Message.Role.ASSISTANT
    ).exclude(model_name="")
    handed_over = Handoff.objects.filter(contact_id=OuterRef("contact_id"), state__in=Handoff.OPEN)
    conversations = (
        Conversation.objects.filter(
            pk__in=in_window,
            contact__bot_id__in=bot_ids,
            contact__is_blocked=False,
        )
        .filter(Exists(answered), ~Exists(handed_over))
        .select_related("contact")
        .order_by("last_message_at")
    )
    return [
        SurveyTarget(conversation.pk, ContactInfo.from_contact(conversation.contact))
        for conversation in conversations
    ]
