"""What the admin reads: transcripts and lists."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from conversations.models import AnswerRating, Contact, ConversationSurvey, Message

SHOWN_MESSAGE_FIELDS = (
    "role",
    "text",
    "redacted",
    "author_name",
    "content_type",
    "created_at",
    "model_name",
    "prompt_tokens",
    "completion_tokens",
    "tokens_estimated",
    "status",
    "error",
    "delivery",
    "delivery_error",
    "media_seconds",
    "transcribed",
    "sources",
)


@dataclass(frozen=True)
class TranscriptEntry:
    message: Message
    #: True where a new conversation begins, so staff see where one dialogue ends.
    starts_conversation: bool
    #: The person's 👍/👎 on this answer, with what was wrong (None: not rated).
    rating: AnswerRating | None = None
    #: Where a conversation begins: its satisfaction survey, if one was asked.
    survey: ConversationSurvey | None = None


@dataclass(frozen=True)
class TranscriptPage:
    page: Page
    entries: list[TranscriptEntry]


def transcript_page_of(*, message_id: int, page_size: int) -> tuple[int, int]:
    """The lead and the page number of their transcript (`contact_transcript_page`) that shows
    the message, for a link straight to it."""
    message = Message.objects.values("contact_id", "created_at").get(pk=message_id)
    before = Message.objects.filter(contact_id=message["contact_id"]).filter(
        Q(created_at__lt=message["created_at"])
        | Q(created_at=message["created_at"], id__lt=message_id)
    )
    return message["contact_id"], before.count() // page_size + 1


def contact_transcript_page(
    *, contact_id: int, page_number: str | int | None, page_size: int
) -> TranscriptPage:
    """One page of a lead's messages across conversations, oldest first within the page.

    Without a page number the newest page is shown: that is what staff open a lead for.
    The filter and order follow the (contact, created_at, id) index, so both the count and a
    page of a 10,000-message transcript are one index range scan; the page's ratings and
    surveys are one query each.
    """
    messages = (
        Message.objects.filter(contact_id=contact_id)
        .select_related("conversation")
        .only(*SHOWN_MESSAGE_FIELDS, "conversation__started_at", "conversation__group_chat_id")
        .order_by("created_at", "id")
    )
    paginator = Paginator(messages, page_size)
    page = paginator.get_page(page_number or paginator.num_pages)
    shown = list(page)
    ratings = AnswerRating.objects.in_bulk(
        [message.pk for message in shown], field_name="message_id"
    )
    surveys = ConversationSurvey.objects.in_bulk(
        {message.conversation_id for message in shown}, field_name="conversation_id"
    )
    entries = []
    previous_conversation_id = None
    for message in shown:
        starts = message.conversation_id != previous_conversation_id
        survey = surveys.get(message.conversation_id) if starts else None
        entries.append(TranscriptEntry(message, starts, ratings.get(message.pk), survey))
        previous_conversation_id = message.conversation_id
    return TranscriptPage(page=page, entries=entries)


@dataclass(frozen=True)
class OtherLead:
    """A lead of the same person on another bot, as the lead's page links it."""

    id: int
    name: str
    #: The bot's name ("" for a lead of no bot).
    bot: str


def same_person_leads(*, contact: Contact, visible: Q) -> list[OtherLead]:
    """The person's leads on other bots (the same channel user id), among those in `visible`.

    One person writing to two bots is two leads; staff see them side by side. Read along the
    leads' key, which starts with the channel and the user id.
    """
    leads = (
        Contact.objects.filter(visible, channel=contact.channel, external_id=contact.external_id)
        .exclude(pk=contact.pk)
        .select_related("bot")
        .order_by("bot__name", "pk")
    )
    return [
        OtherLead(lead.pk, lead.display_name, lead.bot.name if lead.bot else "") for lead in leads
    ]


def conversations_with_message_count(queryset):
    """Annotate a message count computed per listed row (a correlated subquery).

    A JOIN + GROUP BY would aggregate every message before the page is cut; the subquery
    runs only for the rows shown, on the (conversation, created_at) index.
    """
    counts = (
        Message.objects.filter(conversation_id=OuterRef("pk"))
        .order_by()
        .values("conversation_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    return queryset.annotate(message_count=Coalesce(Subquery(counts), 0))
