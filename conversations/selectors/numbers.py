"""Numbers operations and exports read: replies per model, undelivered messages, handoffs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Avg, Count, Max, Sum
from django.db.models.functions import Coalesce

from conversations.models import Handoff, Message


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
