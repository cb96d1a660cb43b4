"""Reads of the web chat: a site by its public key, and a visitor's messages for their window."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from conversations import selectors as conversation_selectors
from conversations.models import Contact, Message
from core.config_cache import cached_config
from webchat.models import WebSite

#: What a window shows: the person's words and everything said to them, never staff notes.
SHOWN_ROLES = (
    Message.Role.USER,
    Message.Role.ASSISTANT,
    Message.Role.OPERATOR,
    Message.Role.SYSTEM,
)
#: Messages a window gets at once: the latest, when it opens, or those after the last it has.
PAGE = 50


@dataclass(frozen=True)
class SiteInfo:
    id: int
    key: str
    name: str
    bot_id: int
    bot_name: str
    is_active: bool
    origins: tuple[str, ...]
    greeting: dict
    title: str
    accent_colour: str
    visitor_messages_per_minute: int
    address_messages_per_minute: int
    max_message_chars: int

    def allows(self, origin: str) -> bool:
        return origin in self.origins

    def window_title(self) -> str:
        return self.title or self.bot_name


@cached_config
def site_by_key(*, key: str) -> SiteInfo | None:
    """The site of a snippet's key (None: no such site; a switched-off one is returned so the
    window can say it is closed)."""
    site = WebSite.objects.select_related("bot").filter(key=key).first()
    if site is None:
        return None
    return SiteInfo(
        id=site.pk,
        key=site.key,
        name=site.name,
        bot_id=site.bot_id,
        bot_name=site.bot.name,
        is_active=site.is_active and site.bot.is_active,
        origins=tuple(line.strip().rstrip("/") for line in site.allowed_origins.split()),
        greeting=dict(site.greeting or {}),
        title=site.title,
        accent_colour=site.accent_colour,
        visitor_messages_per_minute=site.visitor_messages_per_minute,
        address_messages_per_minute=site.address_messages_per_minute,
        max_message_chars=site.max_message_chars,
    )


def greeting(site: SiteInfo, language: str) -> str:
    """The site's own greeting in `language`, else the bot's, else the assistant's default."""
    own = site.greeting.get(language) or ""
    if own.strip():
        return own
    texts = conversation_selectors.prompt_texts(language=language, bot_id=site.bot_id)
    return texts.get("greeting") or _(
        "Hello! I can tell you about our services and answer your questions."
    )


def visitor_contact_id(site: SiteInfo, visitor: str) -> int | None:
    return (
        Contact.objects.filter(channel=Contact.Channel.WEB, external_id=visitor, bot_id=site.bot_id)
        .values_list("pk", flat=True)
        .first()
    )


def visitor_messages(*, contact_id: int, after_id: int) -> list[dict]:
    """The window's messages as plain data: the latest page when it opens (`after_id` 0),
    else those after the last one it has, oldest first; buttons only under the latest one."""
    messages = Message.objects.filter(contact_id=contact_id, role__in=SHOWN_ROLES).exclude(text="")
    if after_id:
        rows = list(messages.filter(pk__gt=after_id).order_by("pk")[:PAGE])
    else:
        rows = list(messages.order_by("-pk")[:PAGE])[::-1]
    shown = [
        {
            "id": message.pk,
            "role": message.role,
            "text": message.text,
            "at": message.created_at.isoformat(),
            "author": message.author_name if message.role == Message.Role.OPERATOR else "",
            "buttons": [],
        }
        for message in rows
    ]
    if rows and rows[-1].role != Message.Role.USER:
        shown[-1]["buttons"] = _buttons_of(rows[-1])
    return shown


def _buttons_of(message: Message) -> list:
    parts = message.delivery_parts if isinstance(message.delivery_parts, list) else []
    kept = (part["buttons"] for part in parts if isinstance(part, dict) and "buttons" in part)
    return next(kept, [])
