"""Reads of the VK side: the communities to serve and the events waiting in them."""

from __future__ import annotations

from dataclasses import dataclass

from core.config_cache import cached_config
from vk.models import VkCommunity, VkEvent

#: Events taken from the inbox at once.
BATCH = 200


@dataclass(frozen=True)
class CommunityInfo:
    id: int
    name: str
    group_id: int
    bot_id: int
    bot_telegram_id: int
    callback_api: bool
    confirmation_code: str
    callback_secret: str
    #: Changes when staff save the community (a new key, another bot): served again.
    version: str

    @classmethod
    def from_community(cls, community: VkCommunity) -> CommunityInfo:
        return cls(
            id=community.pk,
            name=community.name,
            group_id=community.group_id,
            bot_id=community.bot_id,
            bot_telegram_id=community.bot.telegram_id,
            callback_api=community.callback_api,
            confirmation_code=community.confirmation_code,
            callback_secret=community.callback_secret,
            version=community.updated_at.isoformat(),
        )


@cached_config
def active_communities() -> tuple[CommunityInfo, ...]:
    rows = VkCommunity.objects.select_related("bot").filter(is_active=True, bot__is_active=True)
    return tuple(CommunityInfo.from_community(row) for row in rows.order_by("pk"))


def community_by_id(*, community_id: int) -> CommunityInfo | None:
    return next((c for c in active_communities() if c.id == community_id), None)


def community_token(*, community_id: int) -> str:
    return VkCommunity.objects.get(pk=community_id).token()


def poll_position(*, community_id: int) -> str:
    return VkCommunity.objects.values_list("poll_ts", flat=True).get(pk=community_id)


@dataclass(frozen=True)
class QueuedEvent:
    id: int
    event_id: str
    peer_id: int
    kind: str
    payload: dict


def events_queued(*, community_id: int) -> list[QueuedEvent]:
    """The oldest waiting events of the community, in the order VK sent them."""
    rows = VkEvent.objects.filter(community_id=community_id, state=VkEvent.State.QUEUED)
    return [
        QueuedEvent(row.pk, row.event_id, row.peer_id, row.kind, row.payload)
        for row in rows.order_by("pk")[:BATCH]
    ]
