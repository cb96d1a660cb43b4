"""Reads of leads, conversations, messages and prompts, shared by the bot and the admin."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, Exists, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from conversations.models import (
    AnswerRating,
    Contact,
    Conversation,
    ConversationSurvey,
    Handoff,
    Message,
    OutboxEntry,
    Prompt,
)
from conversations.services import ContactInfo
from core.config_cache import cached_config


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

    Only what the person wrote and what the bot said to it: commands, button presses, contact
    cards (someone else's, too) and media are events, not the person's words, and the bot's
    fixed answers to them are left out with them. `up_to_message_id` ends the history at that
    message, whatever was stored after it meanwhile (the answer to it, written concurrently).
    """
    text = Message.ContentType.TEXT
    words = Q(role=Message.Role.USER, content_type=text) | (
        ~Q(role=Message.Role.USER) & (Q(reply_to__isnull=True) | Q(reply_to__content_type=text))
    )
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


def prompt_texts(*, language: str, bot_id: int | None = None) -> dict[str, str]:
    """Active prompt texts by key in the language, falling back to the site language; of each
    key the bot's own prompt wins over the shared one (in the same language).

    Read once per change (`core.config_cache`): a staff edit in admin applies to the very
    next message.
    """
    return _prompt_texts(language, settings.LANGUAGE_CODE, bot_id)


@cached_config
def _prompt_texts(language: str, site_language: str, bot_id: int | None) -> dict[str, str]:
    return {
        key: text
        for key, (_prompt_id, text) in _prompts_in_effect(language, site_language, bot_id).items()
    }


def prompt_versions(*, language: str, bot_id: int | None = None) -> dict[str, int]:
    """The prompts `prompt_texts` reads, each key with its latest history entry's number: what
    a reply records, so its ratings can be told apart by the prompts' versions."""
    return _prompt_versions(language, settings.LANGUAGE_CODE, bot_id)


@cached_config
def _prompt_versions(language: str, site_language: str, bot_id: int | None) -> dict[str, int]:
    in_effect = _prompts_in_effect(language, site_language, bot_id)
    latest = dict(
        Prompt.history.filter(id__in=[prompt_id for prompt_id, _text in in_effect.values()])
        .values_list("id")
        .annotate(latest=Max("history_id"))
        .order_by()
    )
    return {key: latest.get(prompt_id, 0) for key, (prompt_id, _text) in in_effect.items()}


def _prompts_in_effect(
    language: str, site_language: str, bot_id: int | None
) -> dict[str, tuple[int, str]]:
    """(id, text) of the active prompt of each key: the person's language before the site's,
    and the bot's own before the shared one."""
    rows = (
        Prompt.objects.filter(is_active=True, language__in=[language, site_language])
        .filter(Q(bot__isnull=True) | Q(bot_id=bot_id))
        .values_list("key", "language", "bot_id", "id", "text")
    )
    prompts: dict[str, tuple[int, str]] = {}
    for key, _language, _bot, prompt_id, text in sorted(
        rows, key=lambda row: (row[1] != language, row[2] is None)
    ):
        prompts.setdefault(key, (prompt_id, text))
    return prompts


# --- Admin: transcripts and lists -----------------------------------------------------------


#: What the admin shows of each message of a transcript (the template
#: `admin/conversations/contact/transcript_message.html`).
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


@dataclass(frozen=True)
class RepliesOfModel:
    """The model's replies of a period with one status: how many, how fast, how many tokens."""

    model_name: str
    status: str
    replies: int
    average_latency_ms: float
    longest_latency_ms: int
    prompt_tokens: int
    completion_tokens: int


def replies_by_model(*, since) -> list[RepliesOfModel]:
    """The model's replies stored since `since`, per model and status (the bot's fixed notes,
    which name no model, are not replies of a model). Read along `message_role_time`."""
    rows = (
        Message.objects.filter(role=Message.Role.ASSISTANT, created_at__gte=since)
        .exclude(model_name="")
        .values_list("model_name", "status")
        .annotate(
            replies=Count("pk"),
            average_latency=Coalesce(Avg("latency_ms"), 0.0),
            longest_latency=Coalesce(Max("latency_ms"), 0),
            prompt=Coalesce(Sum("prompt_tokens"), 0),
            completion=Coalesce(Sum("completion_tokens"), 0),
        )
        .order_by("model_name", "status")
    )
    return [RepliesOfModel(*row) for row in rows]


def not_delivered_counts(*, since) -> dict[str, int]:
    """The bot's messages since `since` that surely (`undelivered`) or maybe (`uncertain`)
    did not reach the person, from the partial index `message_not_delivered`."""
    problems = (Message.Delivery.UNDELIVERED.value, Message.Delivery.UNCERTAIN.value)
    counts = dict.fromkeys(problems, 0)
    rows = (
        Message.objects.filter(delivery__in=problems, created_at__gte=since)
        .values_list("delivery")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts.update(rows)
    return counts


def handoffs_by_contact(*, contacts, chunk_size: int) -> Iterator[tuple[int, int, int]]:
    """(lead id, handoffs, handoffs an operator answered) for the leads in the queryset
    `contacts` that had any, highest id first (an export walks them beside its leads)."""
    rows = (
        Handoff.objects.filter(contact__in=contacts.values("pk"))
        .values("contact_id")
        .annotate(handoffs=Count("pk"), answered=Count("first_reply_at"))
        .order_by("-contact_id")
        .values_list("contact_id", "handoffs", "answered")
        .iterator(chunk_size=chunk_size)
    )
    yield from rows


# --- Operators: what the bot processes carry out for them -------------------------------------


def recent_messages(*, contact_id: int, limit: int) -> list[Message]:
    """A lead's last `limit` messages, oldest first: what an operator reads before answering.
    Read backwards along the (contact, created_at, id) index."""
    newest_first = (
        Message.objects.filter(contact_id=contact_id)
        .only(*SHOWN_MESSAGE_FIELDS)
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(newest_first))


@dataclass(frozen=True)
class OutboxItem:
    """An entry of the operators' outbox (`OutboxEntry`) with what carrying it out needs."""

    id: int
    kind: str
    contact: ContactInfo
    author_name: str
    message_id: int | None
    text: str


def outbox_next(*, bot_ids: Collection[int]) -> list[OutboxItem]:
    """The oldest entry of each lead on one of `bot_ids`, unless another process holds it.

    A lead's entries are carried out one at a time in the order written (while its oldest is
    held, the rest wait), so two replies reach the person in order whichever processes take
    them. Done entries leave the table: this reads only what waits.
    """
    now = timezone.now()
    entries = (
        OutboxEntry.objects.filter(contact__bot_id__in=bot_ids)
        .select_related("contact", "message")
        .order_by("id")
    )
    oldest: dict[int, OutboxEntry] = {}
    for entry in entries:
        oldest.setdefault(entry.contact_id, entry)
    return [
        OutboxItem(
            entry.pk,
            entry.kind,
            ContactInfo.from_contact(entry.contact),
            entry.author_name,
            entry.message_id,
            entry.message.text if entry.message else "",
        )
        for entry in oldest.values()
        if entry.claimed_until is None or entry.claimed_until < now
    ]


@dataclass(frozen=True)
class WaitingLead:
    """A lead on one of the served bots waiting for an operator's reply."""

    handoff_id: int
    waiting_since: datetime
    contact: ContactInfo


def _waiting(bot_ids: Collection[int], before: datetime, not_yet: str) -> list[WaitingLead]:
    handoffs = (
        Handoff.objects.filter(
            state__in=Handoff.OPEN,
            waiting_since__lte=before,
            contact__bot_id__in=bot_ids,
            **{f"{not_yet}__isnull": True},
        )
        .select_related("contact")
        .order_by("waiting_since")
    )
    return [
        WaitingLead(handoff.pk, handoff.waiting_since, ContactInfo.from_contact(handoff.contact))
        for handoff in handoffs
    ]


def leads_to_remind(*, bot_ids: Collection[int], waiting_before: datetime) -> list[WaitingLead]:
    """Leads waiting since before `waiting_before` whose operators were not reminded yet (read
    along the partial index `handoff_open`)."""
    return _waiting(bot_ids, waiting_before, "reminded_at")


def leads_to_tell(*, bot_ids: Collection[int], waiting_before: datetime) -> list[WaitingLead]:
    """Leads waiting since before `waiting_before` who were not told yet that it takes longer."""
    return _waiting(bot_ids, waiting_before, "escalated_at")


def message_count(*, contact_id: int) -> tuple[int, datetime | None]:
    """How many messages of either side a lead has, and when the first was stored."""
    numbers = Message.objects.filter(contact_id=contact_id).aggregate(
        count=Count("pk"), first=Min("created_at")
    )
    return numbers["count"], numbers["first"]


def personal_data(*, contact_id: int) -> dict:
    """What is kept about the person of a lead, ready for JSON (an access request; the apps
    above add what they keep): the lead, consent, every conversation with every message, and
    the handoffs to operators. Times are ISO 8601 in UTC."""
    contact = Contact.objects.select_related("bot").get(pk=contact_id)
    conversations = {}
    for message in (
        Message.objects.filter(contact_id=contact_id)
        .select_related("conversation")
        .order_by("created_at", "id")
        .iterator(chunk_size=500)
    ):
        conversation = conversations.setdefault(
            message.conversation_id,
            {"started_at": iso_utc(message.conversation.started_at), "messages": []},
        )
        conversation["messages"].append(_message_data(message))
    handoffs = Handoff.objects.filter(contact_id=contact_id).order_by("requested_at")
    return {
        "lead": _lead_data(contact),
        "conversations": list(conversations.values()),
        "handoffs": [
            {
                "requested_at": iso_utc(handoff.requested_at),
                "reason": handoff.reason,
                "state": handoff.state,
                "closed_at": iso_utc(handoff.closed_at),
            }
            for handoff in handoffs
        ],
    }


def _lead_data(contact: Contact) -> dict:
    return {
        "id": contact.pk,
        "channel": contact.channel,
        "bot": contact.bot.name if contact.bot else None,
        "user_id": contact.external_id,
        "username": contact.username,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "language": contact.language_code,
        "phone": contact.phone,
        "email": contact.email,
        "status": contact.status,
        "source": contact.source,
        "created_at": iso_utc(contact.created_at),
        "last_message_at": iso_utc(contact.last_message_at),
        "consent": {
            "given_at": iso_utc(contact.consent_at),
            "policy_version": contact.consent_policy_version,
        },
        "erased_at": iso_utc(contact.erased_at),
    }


def _message_data(message: Message) -> dict:
    return {
        "time": iso_utc(message.created_at),
        "from": message.role,
        "type": message.content_type,
        "text": message.text,
        "operator": message.author_name,
        "text_removed": message.redacted,
    }


def iso_utc(moment: datetime | None) -> str | None:
    """A time as JSON shows it: ISO 8601 in UTC (None stays None)."""
    return moment.astimezone(UTC).isoformat() if moment else None


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
    while an operator has the lead, nor for a lead who blocked the bot. Read along the partial
    index `conversation_open_private`."""
    answered = Message.objects.filter(
        conversation_id=OuterRef("pk"), role=Message.Role.ASSISTANT
    ).exclude(model_name="")
    handed_over = Handoff.objects.filter(contact_id=OuterRef("contact_id"), state__in=Handoff.OPEN)
    conversations = (
        Conversation.objects.filter(
            group_chat_id="",
            closed_at__isnull=True,
            last_message_at__gt=not_before,
            last_message_at__lte=idle_since,
            contact__bot_id__in=bot_ids,
            contact__is_blocked=False,
            survey__isnull=True,
        )
        .filter(Exists(answered), ~Exists(handed_over))
        .select_related("contact")
        .order_by("last_message_at")
    )
    return [
        SurveyTarget(conversation.pk, ContactInfo.from_contact(conversation.contact))
        for conversation in conversations
    ]
