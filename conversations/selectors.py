"""Reads of leads, conversations, messages and prompts, shared by the bot and the admin."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from conversations.models import Contact, Message, Prompt
from conversations.services import ContactInfo


@dataclass(frozen=True)
class HistoryItem:
    role: str
    text: str


def contact_info(*, contact_id: int) -> ContactInfo:
    return ContactInfo.from_contact(Contact.objects.get(pk=contact_id))


def conversation_history(*, conversation_id: int, limit: int = 100) -> list[HistoryItem]:
    """The last `limit` text messages of a conversation, oldest first, for the LLM context."""
    rows = (
        Message.objects.filter(conversation_id=conversation_id)
        .exclude(text="")
        .exclude(status=Message.Status.FAILED)
        .order_by("-created_at", "-id")
        .values_list("role", "text")[:limit]
    )
    return [HistoryItem(role, text) for role, text in reversed(list(rows))]


def prompt_texts(*, language: str) -> dict[str, str]:
    """Active prompt texts by key in the language, falling back to the site language.

    Read fresh on every call: a staff edit in admin applies to the very next message.
    """
    languages = [language, settings.LANGUAGE_CODE]
    rows = Prompt.objects.filter(is_active=True, language__in=languages).values_list(
        "key", "language", "text"
    )
    texts: dict[str, str] = {}
    for key, _language, text in sorted(rows, key=lambda row: row[1] != language):
        texts.setdefault(key, text)
    return texts
