"""The inbox's reads and writes: updates stored once, then taken, finished or failed.

Every way updates arrive (long polling, the webhook) stores them here first; every way they
are handled (in this process, procrastinate workers) takes them from here. Telegram is told
an update arrived only after `inbox_store` has committed it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from bot.models import InboundUpdate

logger = logging.getLogger(__name__)

#: Kinds of update that belong to a chat's message thread, in the order Telegram names them.
CHAT_MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")
ERROR_LIMIT = 500


@dataclass(frozen=True)
class Stored:
    """A newly stored update: its row and the chat whose order it keeps."""

    id: int
    bot_id: int
    chat_id: int | None

    @property
    def chat_key(self) -> str:
        """Updates with the same key are handled one at a time, in the order they came."""
        return f"{self.bot_id}:{self.chat_id if self.chat_id is not None else 'none'}"


#: What the inbox's BIGINT columns hold; an update or chat id outside it is not Telegram's.
STORABLE_IDS = range(-(2**63), 2**63)


def is_update_id(value) -> bool:
    """Telegram counts update ids up from a positive number; anything else is not an update."""
    return _is_id(value) and value >= 0


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in STORABLE_IDS


def _part(value) -> dict:
    """A part of an update as an object; a part of another shape reads as empty, so a
    malformed update is stored (and left to the worker to refuse), never an error here."""
    return value if isinstance(value, dict) else {}


def chat_of(payload: dict) -> int | None:
    """The chat an update belongs to (a press belongs to the chat of its message)."""
    for kind in CHAT_MESSAGE_KINDS:
        chat = _part(_part(payload.get(kind)).get("chat"))
        if _is_id(chat.get("id")):
            return chat["id"]
    query = _part(payload.get("callback_query"))
    chat = _part(_part(query.get("message")).get("chat"))
    if _is_id(chat.get("id")):
        return chat["id"]
    sender = _part(query.get("from"))
    return sender["id"] if _is_id(sender.get("id")) else None


def inbox_store(
    *,
    bot_id: int,
    payloads: Iterable[dict],
    on_stored: Callable[[list[Stored]], None] | None = None,
) -> list[Stored]:
    """Store updates once each, in one transaction; returns the ones that were new.

    `on_stored` runs inside the same transaction (the job queue defers its jobs there), so an
    update is never stored without being queued. Updates without a valid id are dropped.
    """
    batch = {p["update_id"]: p for p in payloads if is_update_id(p.get("update_id"))}
    try:
        return _store_new(bot_id, batch, on_stored)
    except IntegrityError:
        # Another process stored one of these between our look-up and insert.
        logger.info("Updates of bot %s were stored concurrently; storing the rest", bot_id)
        return _store_new(bot_id, batch, on_stored)


def _store_new(bot_id: int, batch: dict[int, dict], on_stored) -> list[Stored]:
    with transaction.atomic():
        known = set(
            InboundUpdate.objects.filter(bot_id=bot_id, update_id__in=list(batch)).values_list(
                "update_id", flat=True
            )
        )
        rows = InboundUpdate.objects.bulk_create(
            InboundUpdate(
                bot_id=bot_id,
                update_id=update_id,
                chat_id=chat_of(payload),
                payload=json.dumps(payload, separators=(",", ":")),
            )
            for update_id, payload in sorted(batch.items())
            if update_id not in known
        )
        stored = [Stored(row.pk, bot_id, row.chat_id) for row in rows]
        if stored and on_stored is not None:
            on_stored(stored)
    return stored


def inbox_waiting(*, bot_ids: Iterable[int] | None = None, after_id: int = 0, limit: int = 500):
    """Updates not yet handled, oldest first, after the row `after_id`."""
    rows = InboundUpdate.objects.filter(state=InboundUpdate.State.QUEUED, pk__gt=after_id)
    if bot_ids is not None:
        rows = rows.filter(bot_id__in=list(bot_ids))
    fields = ("pk", "bot_id", "chat_id")
    return [Stored(*values) for values in rows.order_by("pk").values_list(*fields)[:limit]]


@dataclass(frozen=True)
class Taken:
    """An update to handle, and the bot (Telegram id) it was sent to."""

    bot_id: int
    payload: dict


def inbox_take(*, inbound_id: int) -> Taken | None:
    """The update to handle, counting the attempt; `None` when it was handled already."""
    with transaction.atomic():
        row = (
            InboundUpdate.objects.select_for_update()
            .filter(pk=inbound_id, state=InboundUpdate.State.QUEUED)
            .only("bot_id", "payload", "attempts")
            .first()
        )
        if row is None:
            return None
        InboundUpdate.objects.filter(pk=inbound_id).update(attempts=row.attempts + 1)
    return Taken(row.bot_id, json.loads(row.payload))


def inbox_finish(*, inbound_id: int) -> None:
    InboundUpdate.objects.filter(pk=inbound_id).update(
        state=InboundUpdate.State.DONE, handled_at=timezone.now(), last_error=""
    )


def inbox_fail(*, inbound_id: int, error: str, final: bool) -> None:
    """Keep why handling failed; a final failure is not tried again."""
    changes = {"last_error": error[:ERROR_LIMIT]}
    if final:
        changes.update(state=InboundUpdate.State.FAILED, handled_at=timezone.now())
    InboundUpdate.objects.filter(pk=inbound_id).update(**changes)


def inbox_oldest_waiting() -> dt.datetime | None:
    """When the update that has waited longest arrived; `None` when nothing waits."""
    waiting = InboundUpdate.objects.filter(state=InboundUpdate.State.QUEUED).order_by("pk")
    return waiting.values_list("received_at", flat=True).first()


@dataclass(frozen=True)
class InboxNumbers:
    """How the inbox is doing: what waits now, and what became of recent arrivals."""

    waiting: int
    oldest_waiting_at: dt.datetime | None
    #: Updates received since the time asked for, by their state now.
    received: dict[str, int]


def inbox_numbers(*, since: dt.datetime) -> InboxNumbers:
    """Read from the indexes: the waiting ones (`inbound_waiting`) and arrivals since `since`
    (`inbound_received`), so it stays cheap however long the inbox grows."""
    waiting = InboundUpdate.objects.filter(state=InboundUpdate.State.QUEUED).count()
    received = dict.fromkeys(InboundUpdate.State.values, 0)
    counts = (
        InboundUpdate.objects.filter(received_at__gte=since)
        .values_list("state")
        .annotate(count=Count("pk"))
        .order_by()
    )
    received.update(counts)
    return InboxNumbers(waiting, inbox_oldest_waiting(), received)


#: Handled updates are kept this long (Telegram does not send an update again later), and
#: never longer than the retention period.
HANDLED_KEPT = dt.timedelta(days=2)
#: What an update's payload becomes once the person's data is deleted.
FORGOTTEN_PAYLOAD = "{}"


def inbox_prune(*, before: dt.datetime, batch_size: int = 1000) -> int:
    """Delete handled and failed updates received before `before`, in batches along the
    `inbound_received` index; returns how many. Updates still waiting stay."""
    deleted = 0
    while True:
        batch = list(
            InboundUpdate.objects.filter(received_at__lt=before)
            .exclude(state=InboundUpdate.State.QUEUED)
            .values_list("pk", flat=True)[:batch_size]
        )
        deleted += InboundUpdate.objects.filter(pk__in=batch).delete()[0]
        if len(batch) < batch_size:
            return deleted


def inbox_forget_chat(*, bot_id: int, chat_id: int) -> int:
    """Empty the stored updates of a private chat whose person's data was deleted, keeping
    each row's ids so a redelivery is still recognised.

    A chat's updates are handled one at a time in the order stored, so its first update still
    waiting is the request being carried out: it is emptied too (it was read already). Those
    after it are what the person wrote since, and are handled as a new lead's.
    """
    chat = InboundUpdate.objects.filter(bot_id=bot_id, chat_id=chat_id)
    current = chat.filter(state=InboundUpdate.State.QUEUED).order_by("pk")[:1]
    forgotten = chat.exclude(state=InboundUpdate.State.QUEUED) | chat.filter(pk__in=current)
    return forgotten.update(payload=FORGOTTEN_PAYLOAD)
