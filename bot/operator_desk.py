"""The operator desk's Telegram half, run by every process of the bots (`serving`, `handling`).

The admin runs in a web process that does not talk to Telegram: what operators do there (a
reply, a note, taking over, releasing) waits in the outbox (`conversations.models.OutboxEntry`).
Every `OUTBOX_SECONDS` each process reads the entries of the leads of the bots it serves (an
entry of a bot served elsewhere is left to that process), claims each (one conditional update:
of two processes one gets it) for longer than a delivery may take, and carries it out through
that bot's application. A process that dies holding a claim leaves it to run out; the next
process then carries the entry out.

Every `REMINDER_SECONDS` it also looks for people waiting for an operator's reply: after
`OPERATOR_REPLY_MINUTES` the operators are reminded in the lead's topic, after twice that the
person is offered a call-back. Each is claimed on the handoff, so one process does it, once
per wait. As often it looks for private conversations whose person has been silent for
`CONVERSATION_IDLE_HOURS` (up to a day longer: older ones are not asked about any more) and
asks them how satisfied they were; the survey row, one per conversation, is the claim.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from assistant import usecases
from bot.channel import TelegramChannel
from bot.handlers import staff_chat_of
from bot.processing import DATABASE_UNAVAILABLE
from bot.registry import BotApplications, ServedBot
from conversations.selectors import (
    OutboxItem,
    WaitingLead,
    conversations_to_survey,
    leads_to_remind,
    leads_to_tell,
    outbox_next,
)
from conversations.services import (
    handoff_claim_escalation,
    handoff_claim_reminder,
    outbox_claim,
)
from core.db import db_call
from core.pausing import pause

logger = logging.getLogger(__name__)

#: Seconds between two looks at the outbox: a reply from admin reaches the person about this
#: fast.
OUTBOX_SECONDS = 1.0
#: Seconds between two looks for people nobody has answered.
REMINDER_SECONDS = 15.0
#: A claim lasts the delivery deadline and this much more: the courier's last attempt may
#: start just before the deadline and then wait for Telegram's answer.
CLAIM_MARGIN_SECONDS = 60.0
#: A conversation idle longer than `CONVERSATION_IDLE_HOURS` plus this is not asked about.
SURVEY_LOOKBACK = timedelta(days=1)


def staff_channel(served: ServedBot) -> TelegramChannel:
    """The bot talking to its staff chat (and, through `to_person`, to its people)."""
    staff_chat = staff_chat_of(served.info)
    return TelegramChannel(
        served.application.bot, staff_chat, private=False, staff_chat_id=staff_chat
    )


class OperatorDesk:
    """The outbox and the reminders, for the bots `bots` serves in this process."""

    def __init__(
        self,
        bots: BotApplications,
        *,
        outbox_seconds: float = OUTBOX_SECONDS,
        reminder_seconds: float = REMINDER_SECONDS,
        clock: Callable[[], datetime] = timezone.now,
    ):
        self.bots = bots
        self.outbox_seconds = outbox_seconds
        self.reminder_seconds = reminder_seconds
        self.clock = clock
        self._stop = asyncio.Event()

    async def run(self) -> None:
        """The loops, until `stop`; what a loop is doing then is finished first."""
        await asyncio.gather(
            self._every(self.outbox_seconds, self.carry_out_outbox),
            self._every(self.reminder_seconds, self.remind),
            self._every(self.reminder_seconds, self.ask_surveys),
        )

    def stop(self) -> None:
        self._stop.set()

    async def _every(self, seconds: float, step: Callable[[], Awaitable[None]]) -> None:
        """`step` now and every `seconds`; a failure is logged and the next look tries again."""
        while True:
            try:
                await step()
            except DATABASE_UNAVAILABLE as error:
                logger.warning("Database unavailable; the operator desk looks again: %s", error)
            except Exception:
                logger.exception("The operator desk failed; it looks again shortly")
            if await pause(self._stop, seconds):
                return

    def _served(self) -> dict[int, ServedBot]:
        return {served.info.id: served for served in self.bots.served()}

    # --- The outbox ----------------------------------------------------------------------------

    async def carry_out_outbox(self) -> None:
        """Carry out what waits for the served bots: one entry per lead at a time, the leads
        side by side."""
        served = self._served()
        if not served:
            return
        items = await db_call(outbox_next)(bot_ids=list(served))
        results = await asyncio.gather(
            *(self._carry_out(served[item.contact.bot_id], item) for item in items),
            return_exceptions=True,
        )
        for item, result in zip(items, results, strict=True):
            if isinstance(result, Exception):
                logger.error("Outbox entry %s failed; tried again later: %s", item.id, result)

    async def _carry_out(self, served: ServedBot, item: OutboxItem) -> None:
        lease = settings.TELEGRAM_DELIVERY_DEADLINE + CLAIM_MARGIN_SECONDS
        if not await db_call(outbox_claim)(entry_id=item.id, lease_seconds=lease):
            return  # another process has it
        with served.handling():
            await usecases.carry_out(staff_channel(served), item, served.info)

    # --- Nobody answers ------------------------------------------------------------------------

    async def remind(self) -> None:
        """Remind the operators of people waiting `OPERATOR_REPLY_MINUTES`; offer a call-back
        to those waiting twice that."""
        served = self._served()
        if not served:
            return
        minutes = settings.OPERATOR_REPLY_MINUTES
        now = self.clock()
        await self._once_each(
            await db_call(leads_to_remind)(
                bot_ids=list(served), waiting_before=now - timedelta(minutes=minutes)
            ),
            served,
            handoff_claim_reminder,
            lambda staff, lead: usecases.remind_operators(staff, lead, minutes),
        )
        await self._once_each(
            await db_call(leads_to_tell)(
                bot_ids=list(served), waiting_before=now - timedelta(minutes=2 * minutes)
            ),
            served,
            handoff_claim_escalation,
            lambda staff, lead: usecases.offer_call_back(staff, lead, 2 * minutes),
        )

    async def _once_each(
        self,
        leads: list[WaitingLead],
        served: dict[int, ServedBot],
        claim: Callable[..., bool],
        act: Callable[[TelegramChannel, WaitingLead], Awaitable[None]],
    ) -> None:
        for lead in leads:
            if await db_call(claim)(handoff_id=lead.handoff_id, waiting_since=lead.waiting_since):
                bot = served[lead.contact.bot_id]
                with bot.handling():
                    await act(staff_channel(bot), lead)

    # --- Conversations that ended ---------------------------------------------------------------

    async def ask_surveys(self) -> None:
        """Ask the people of conversations gone idle how satisfied they were, once each."""
        served = self._served()
        if not served:
            return
        idle_since = self.clock() - timedelta(hours=settings.CONVERSATION_IDLE_HOURS)
        targets = await db_call(conversations_to_survey)(
            bot_ids=list(served), idle_since=idle_since, not_before=idle_since - SURVEY_LOOKBACK
        )
        for target in targets:
            bot = served[target.contact.bot_id]
            with bot.handling():
                await usecases.survey_idle(staff_channel(bot), target)
