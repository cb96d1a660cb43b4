"""What operators did in admin, carried out by a bot process (the web process does not talk to
Telegram).

A reply reaches the person as the bot (signed, if the bot says so) and is mirrored into the
lead's topic of the staff chat; a note, taking over and releasing are told to the topic. So
operators in Telegram and in admin follow one conversation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistant.channel import Channel, Note, Outcome
from assistant.usecases.operators import (
    not_delivered,
    record_unprompted,
    signed,
    tell_operators,
)
from bots.selectors import BotInfo
from conversations import services as conversation_services
from conversations.models import OutboxEntry
from conversations.selectors import OutboxItem
from core.db import db_call

#: What the lead's topic is told of each thing done in admin but a reply.
TOPIC_NEWS = {
    OutboxEntry.Kind.NOTE: gettext_lazy("📝 %(name)s (admin), a note: %(text)s"),
    OutboxEntry.Kind.TAKEN: gettext_lazy(
        "🧑‍💼 %(name)s (admin) took over: the assistant is silent until the conversation is "
        "released."
    ),
    OutboxEntry.Kind.RELEASED: gettext_lazy(
        "%(name)s (admin) released the conversation: the assistant answers this person again."
    ),
}


async def carry_out(staff: Channel, item: OutboxItem, bot: BotInfo) -> None:
    """Do the Telegram part of `item`, then let it go. `staff` is the bot's channel to its
    staff chat; the topic is read in the site language."""
    with translation.override(settings.LANGUAGE_CODE):
        if item.kind == OutboxEntry.Kind.REPLY:
            await _deliver_reply(staff, item, bot)
            return
        news = TOPIC_NEWS[item.kind] % {"name": item.author_name, "text": item.text}
        await _tell_topic(staff, item, news)
        await db_call(conversation_services.outbox_done)(entry_id=item.id)


async def _deliver_reply(staff: Channel, item: OutboxItem, bot: BotInfo) -> None:
    """To the person first; what became of it and the entry's end are one write, so a reply
    recorded as sent is never sent again. Operators then see it (or why it did not arrive)."""
    signature = item.author_name if bot.sign_operator_messages else ""
    person = staff.to_person(item.contact)
    outcome = await person.say(Note(signed(item.text, signature)))
    await db_call(_reply_done)(item, outcome)
    mirrored = _("🧑‍💼 %(name)s (admin): %(text)s") % {"name": item.author_name, "text": item.text}
    await _tell_topic(staff, item, mirrored)
    if outcome.missed:
        await _tell_topic(staff, item, not_delivered(outcome))


def _reply_done(item: OutboxItem, outcome: Outcome) -> None:
    with transaction.atomic():
        record_unprompted(item.contact.id, item.message_id, outcome)
        conversation_services.outbox_done(entry_id=item.id)


async def _tell_topic(staff: Channel, item: OutboxItem, text: str) -> None:
    await tell_operators(staff, item.contact.id, item.contact.display_name, text)
