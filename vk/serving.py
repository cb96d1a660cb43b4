"""VK communities served by the bot processes, beside the Telegram bots.

Each active community is served by one process at a time (a claim renewed while it serves,
`community_claim`): in long poll mode it asks VK for events and stores each batch with the
position after it in one transaction before asking for the next (so an event is never lost
to a crash or a database outage: the next ask repeats it); in Callback API mode the web
process stores what VK posts (`vk.views`). Either way the serving process handles the stored
events in the order VK sent them, one conversation at a time, many conversations side by
side, each through the use cases with a `VkChannel`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from assistant import usecases
from assistant.channel import reach_by
from assistant.runtime import Runtime
from bot.operator_desk import staff_channel
from bot.registry import BotApplications
from conversations.models import Contact
from conversations.services import ContactInfo
from core.backoff import Backoff
from core.db import db_call
from core.pausing import repeat
from vk import selectors, services
from vk.channel import Community, VkChannel, user_of
from vk.client import VkApi, VkError
from vk.events import incoming_of
from vk.selectors import CommunityInfo, QueuedEvent

logger = logging.getLogger(__name__)

#: How often the processes look at the communities (new, changed, switched off) and renew
#: their claims; a claim lasts four looks, so a dead process's communities move on soon.
LOOK_SECONDS = 5.0
LEASE = timedelta(seconds=4 * LOOK_SECONDS)
#: The long poll's wait, seconds (VK's maximum is 90).
POLL_WAIT = 25
#: Conversations handled side by side.
PARALLEL = 16
#: Pauses of the loops while VK or the database is away.
RETRY = Backoff(first=0.5, longest=30.0)
#: Handled events are kept this long (they hold the person's words), then deleted, looked
#: for this often.
KEEP_EVENTS = timedelta(days=2)
PRUNE_EVERY = timedelta(hours=1)
DATABASE_DOWN = (OperationalError, InterfaceError)


class CommunitySender:
    """A community's VK client for sending: every process reaches the community's people
    (operators' replies, reminders, surveys), whichever process serves the community."""

    def __init__(self, info: CommunityInfo, token: str, bots: BotApplications):
        self.info = info
        self.api = VkApi(token, base_url=settings.VK_API_BASE_URL)
        self.bots = bots

    @property
    def community(self) -> Community:
        return Community(self.info.id, self.info.group_id, self.info.bot_id)

    def channel(self, peer_id: int, **options) -> VkChannel:
        served = self.bots.get(self.info.bot_telegram_id)
        staff = staff_channel(served) if served is not None else None
        return VkChannel(self.api, self.community, peer_id, staff=staff, **options)

    def reach(self, person: ContactInfo) -> VkChannel | None:
        group_id, user_id = user_of(person)
        return self.channel(user_id) if group_id == self.info.group_id else None

    async def close(self) -> None:
        await self.api.close()


class CommunityServer(CommunitySender):
    """One community served here: its poller (long poll mode) and the handling of its stored
    events."""

    def __init__(self, info: CommunityInfo, token: str, bots: BotApplications):
        super().__init__(info, token, bots)
        self.runtime = Runtime.from_settings()
        self.stored = asyncio.Event()
        self.stopping = asyncio.Event()
        self.names: dict[int, tuple[str, str]] = {}
        self.handling: asyncio.Task | None = None
        self.polling: asyncio.Task | None = None

    def start(self) -> None:
        self.handling = asyncio.ensure_future(self.handle_stored())
        if not self.info.callback_api:
            self.polling = asyncio.ensure_future(self.poll())

    async def stop(self) -> None:
        """Stop asking VK (a batch not stored yet is asked again by the next server: its
        position was not moved) and finish the events in hand."""
        self.stopping.set()
        self.stored.set()
        if self.polling is not None:
            self.polling.cancel()
        await asyncio.gather(*filter(None, (self.polling, self.handling)), return_exceptions=True)
        await self.close()
        await self.runtime.close()

    # --- long poll -----------------------------------------------------------------------

    async def poll(self) -> None:
        retrying = RETRY.retrying(self.stopping)
        server, ts = None, None
        while not self.stopping.is_set():
            try:
                if server is None:
                    server = await self.api.long_poll_server(self.info.group_id)
                    known = await db_call(selectors.poll_position)(community_id=self.info.id)
                    ts = ts or known or server.ts
                batch = await self.api.poll(server, ts, POLL_WAIT)
                if batch.failed:
                    server, ts = self._after_failure(batch.failed, server, batch.ts, ts)
                    continue
                if batch.updates or batch.ts != ts:
                    await db_call(services.events_store)(
                        community_id=self.info.id, events=batch.updates, poll_ts=batch.ts
                    )
                ts = batch.ts
                self.stored.set()
                retrying.succeeded()
            except (VkError, *DATABASE_DOWN) as error:
                logger.warning("VK community %s: %s; trying again", self.info.name, error)
                server = None if isinstance(error, VkError) else server
                await retrying.pause()

    def _after_failure(self, failed: int, server, given_ts: str, ts: str):
        """VK's `failed`: 1 go on from the position it gives; 2 a new key; 3 a new key and
        position (events in between are gone: VK keeps them only a while)."""
        if failed == 1:
            return server, given_ts
        if failed == 3:
            logger.warning("VK community %s: events were lost to a long pause", self.info.name)
            return None, None
        return None, ts

    # --- handling ------------------------------------------------------------------------

    async def handle_stored(self) -> None:
        retrying = RETRY.retrying(self.stopping)
        limit = asyncio.Semaphore(PARALLEL)
        while not self.stopping.is_set():
            try:
                events = await db_call(selectors.events_queued)(community_id=self.info.id)
            except DATABASE_DOWN as error:
                logger.warning("VK community %s: %s", self.info.name, error)
                await retrying.pause()
                continue
            if not events:
                self.stored.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stored.wait(), timeout=1.0)
                continue
            by_peer: dict[int, list[QueuedEvent]] = defaultdict(list)
            for event in events:
                by_peer[event.peer_id].append(event)
            results = await asyncio.gather(
                *(self._handle_peer(chain, limit) for chain in by_peer.values())
            )
            if all(results):
                retrying.succeeded()
            else:
                await retrying.pause()

    async def _handle_peer(self, chain: list[QueuedEvent], limit: asyncio.Semaphore) -> bool:
        """One conversation's events in order; False when the database went away (the rest
        wait for the next round, in order)."""
        async with limit:
            for event in chain:
                try:
                    await self.handle(event)
                except DATABASE_DOWN as error:
                    logger.warning("VK event %s waits for the database: %s", event.event_id, error)
                    return False
                except Exception:
                    logger.exception("VK event %s could not be handled", event.event_id)
                    await db_call(services.events_settle)(failed=[event.id])
                    continue
                await db_call(services.events_settle)(done=[event.id])
        return True

    async def handle(self, event: QueuedEvent) -> None:
        names = await self._names(event)
        taken = incoming_of(event, self.community, names)
        if taken is None:
            return
        incoming, act, press = taken
        await usecases.handle(incoming, self.channel(event.peer_id, press=press), self.runtime, act)

    async def _names(self, event: QueuedEvent) -> tuple[str, str]:
        """The person's first and last name (VK's events carry only their id), asked once."""
        obj = event.payload.get("object") or {}
        user_id = int((obj.get("message") or obj).get("from_id") or obj.get("user_id") or 0)
        if user_id <= 0:
            return "", ""
        if user_id not in self.names:
            try:
                users = await self.api.call("users.get", user_ids=user_id)
                user = users[0] if users else {}
                self.names[user_id] = (user.get("first_name", ""), user.get("last_name", ""))
            except VkError as error:
                logger.info("VK did not give a name: %s", error)
                return "", ""
        return self.names[user_id]


class Communities:
    """The communities this process serves, kept in step with the admin, and a sender for
    each of the others."""

    def __init__(self, bots: BotApplications):
        self.bots = bots
        self.serving: dict[int, CommunityServer] = {}
        self.senders: dict[int, CommunitySender] = {}
        self.pruned_at: datetime | None = None

    async def look(self) -> None:
        now = timezone.now()
        wanted = {info.id: info for info in await db_call(selectors.active_communities)()}
        for community_id, server in list(self.serving.items()):
            info = wanted.get(community_id)
            held = info is not None and await db_call(services.community_claim)(
                community_id=community_id, now=now, lease=LEASE, holder=True
            )
            if not held or info.version != server.info.version:
                await self._stop(community_id)
        for community_id, info in wanted.items():
            if community_id not in self.serving and await db_call(services.community_claim)(
                community_id=community_id, now=now, lease=LEASE, holder=False
            ):
                token = await db_call(selectors.community_token)(community_id=community_id)
                server = CommunityServer(info, token, self.bots)
                self.serving[community_id] = server
                server.start()
                logger.info("Serving VK community %s", info.name)
        await self._keep_senders(wanted)
        if self.pruned_at is None or now - self.pruned_at >= PRUNE_EVERY:
            await db_call(services.events_prune)(before=now - KEEP_EVENTS)
            self.pruned_at = now

    async def _keep_senders(self, wanted: dict[int, CommunityInfo]) -> None:
        """A sender for each active community another process serves, as configured now."""
        for community_id, sender in list(self.senders.items()):
            info = wanted.get(community_id)
            if info is None or info.version != sender.info.version or community_id in self.serving:
                await self.senders.pop(community_id).close()
        for community_id, info in wanted.items():
            if community_id not in self.serving and community_id not in self.senders:
                token = await db_call(selectors.community_token)(community_id=community_id)
                self.senders[community_id] = CommunitySender(info, token, self.bots)

    async def _stop(self, community_id: int) -> None:
        server = self.serving.pop(community_id)
        await server.stop()
        await db_call(services.community_release)(community_id=community_id)

    def reach(self, person: ContactInfo) -> VkChannel | None:
        held = [*self.serving.values(), *self.senders.values()]
        return next((found for sender in held if (found := sender.reach(person))), None)

    async def run(self, stopping: asyncio.Event) -> None:
        """Look at the communities every `LOOK_SECONDS` (the first look too: a process starts
        serving its bots first) until the process stops."""
        reach_by(Contact.Channel.VK, self.reach)
        try:
            await repeat(
                stopping,
                self.look,
                every=LOOK_SECONDS,
                first_wait=LOOK_SECONDS,
                failure="Could not look at the VK communities: %s",
            )
        finally:
            reach_by(Contact.Channel.VK, None)
            for community_id in list(self.serving):
                with contextlib.suppress(*DATABASE_DOWN):
                    await self._stop(community_id)
            for sender in self.senders.values():
                await sender.close()
            self.senders.clear()


def start_serving_communities(sender, *, bots, stopping: asyncio.Event, **_kwargs) -> asyncio.Task:
    return asyncio.ensure_future(Communities(bots).run(stopping))
