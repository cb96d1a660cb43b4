"""What is kept about a person, for an access request (and the JSON times it uses)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Count, Min

from conversations.models import AnswerRating, Contact, ConversationSurvey, Handoff, Message


def message_count(*, contact_id: int) -> tuple[int, datetime | None]:
    """How many messages of either side a lead has, and when the first was stored."""
    numbers = Message.objects.filter(contact_id=contact_id).aggregate(
        count=Count("pk"), first=Min("created_at")
    )
    return numbers["count"], numbers["first"]


def personal_data(*, contact_id: int) -> dict:
    """What is kept about the person of a lead, ready for JSON (an access request; the apps
    above add what they keep): the lead, consent, every conversation with every message, the
    handoffs to operators, the answers rated and the satisfaction surveys. Times are ISO 8601
    in UTC."""
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
    ratings = AnswerRating.objects.filter(contact_id=contact_id).order_by("created_at", "pk")
    surveys = ConversationSurvey.objects.filter(contact_id=contact_id).order_by("asked_at", "pk")
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
        "answer_ratings": [
            {"time": iso_utc(rating.created_at), "rating": rating.value, "comment": rating.comment}
            for rating in ratings
        ],
        "satisfaction_surveys": [
            {
                "asked_at": iso_utc(survey.asked_at),
                "score": survey.score,
                "skipped": survey.skipped,
                "answered_at": iso_utc(survey.answered_at),
            }
            for survey in surveys
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
