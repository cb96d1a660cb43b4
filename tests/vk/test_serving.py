"""Serving communities: one process per community, the long poll's failures, events that
cannot be handled, communities switched off and on in admin."""

import asyncio
import dataclasses
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.utils import timezone

from assistant.channel import Note
from conversations.models import Contact
from conversations.services import ContactInfo
from core.db import db_call
from tests.fakes.openai_server import Reply
from tests.fakes.vk_server import GROUP_ID
from tests.vk.conftest import listening, until_stored, wait_sent
from vk import serving
from vk.models import VkCommunity, VkEvent
from vk.services import community_claim

PERSON = 5550003


async def test_vk_losing_its_history_or_position_is_taken_in_stride(
    served_community, fake_vk, fake_openai
):
    fake_openai.queue(Reply("First."), Reply("Second."))
    fake_vk.fail_poll(1, 3)
    async with asyncio.timeout(30):
        while fake_vk.pending_poll_failures():
            await asyncio.sleep(0.01)
    await until_polled(fake_vk, fake_vk.polls + 1)  # the poll after VK's new key and position

    fake_vk.push_message(PERSON, "One?")
    await wait_sent(fake_vk, PERSON, 1)
    fake_vk.push_message(PERSON, "Two?")

    assert [s.text for s in await wait_sent(fake_vk, PERSON, 2)] == ["First.", "Second."]


async def until_polled(fake_vk, count: int) -> None:
    async with asyncio.timeout(30):
        while fake_vk.polls < count:
            await asyncio.sleep(0.01)


async def test_vk_unreachable_at_the_start_is_asked_again(
    community, fake_vk, fake_openai, running_bots, monkeypatch, caplog
):
    fake_vk.failing["groups.getLongPollServer"] = 10
    monkeypatch.setattr(serving, "RETRY", serving.Backoff(first=0.01, longest=0.05))
    async with asyncio.timeout(30):
        while "VK error 10" not in caplog.text:
            await asyncio.sleep(0.01)
    del fake_vk.failing["groups.getLongPollServer"]

    await listening(fake_vk)


async def test_without_a_name_from_vk_the_lead_is_kept_nameless(
    served_community, fake_vk, fake_openai
):
    fake_vk.failing["users.get"] = 10
    fake_openai.queue(Reply("Hello."))

    fake_vk.push_message(PERSON, "Hi")
    await wait_sent(fake_vk, PERSON, 1)

    lead = await db_call(Contact.objects.get)(channel="vk")
    assert (lead.first_name, lead.last_name) == ("", "")


async def test_an_event_that_breaks_is_marked_failed_and_the_next_is_answered(
    served_community, fake_vk, fake_openai, monkeypatch
):
    real_handle = serving.usecases.handle

    async def breaks_on_boom(incoming, *args):
        if incoming.text == "boom":
            raise RuntimeError("a bug")
        await real_handle(incoming, *args)

    monkeypatch.setattr(serving.usecases, "handle", breaks_on_boom)
    fake_openai.queue(Reply("Still answering."))

    fake_vk.push_message(PERSON, "boom")
    fake_vk.push_message(PERSON, "Hello?")

    assert (await wait_sent(fake_vk, PERSON, 1))[0].text == "Still answering."
    await until_stored(lambda: VkEvent.objects.filter(state="failed").count() == 1)


async def test_an_event_waiting_for_the_database_is_handled_when_it_is_back(
    served_community, fake_vk, fake_openai, monkeypatch
):
    from django.db import OperationalError

    real_handle = serving.usecases.handle
    failures = [OperationalError("the database is away")]
    monkeypatch.setattr(serving, "RETRY", serving.Backoff(first=0.01, longest=0.05))

    async def database_away_once(*args):
        if failures:
            raise failures.pop()
        await real_handle(*args)

    monkeypatch.setattr(serving.usecases, "handle", database_away_once)
    fake_openai.queue(Reply("Back."))

    fake_vk.push_message(PERSON, "Hello?")

    assert (await wait_sent(fake_vk, PERSON, 1))[0].text == "Back."


async def test_a_community_switched_off_is_left_and_switched_on_served_again(
    served_community, fake_vk, fake_openai
):
    served_community.is_active = False
    await sync_to_async(served_community.save)()
    await until_stored(lambda: VkCommunity.objects.filter(served_until__isnull=True).exists())
    fake_openai.queue(Reply("Back again."))

    polls = fake_vk.polls
    served_community.is_active = True
    await sync_to_async(served_community.save)()
    await until_polled(fake_vk, polls + 1)
    fake_vk.push_message(PERSON, "Anyone?")

    assert (await wait_sent(fake_vk, PERSON, 1))[0].text == "Back again."


def test_a_community_another_process_serves_is_not_taken(community):
    now = timezone.now()
    lease = timedelta(seconds=20)

    assert community_claim(community_id=community.pk, now=now, lease=lease, holder=False)
    assert not community_claim(community_id=community.pk, now=now, lease=lease, holder=False)
    assert community_claim(community_id=community.pk, now=now, lease=lease, holder=True)
    later = now + timedelta(seconds=30)
    assert community_claim(community_id=community.pk, now=later, lease=lease, holder=False)


async def test_a_process_that_does_not_serve_the_community_still_reaches_its_people(
    served_community, running_bots, fake_vk
):
    """Another process (here a second `Communities` beside the running one, which holds the
    claim) carries out an operator's reply to a VK lead: it sends through VK itself."""
    other = serving.Communities(running_bots.bots)
    await other.look()
    person = await sync_to_async(
        lambda: ContactInfo.from_contact(
            Contact.objects.create(
                channel="vk", external_id=f"{GROUP_ID}:{PERSON}", bot=served_community.bot
            )
        )
    )()
    stranger = dataclasses.replace(person, external_id=f"1:{PERSON}")

    outcome = await other.reach(person).say(Note("An operator's reply"))
    first_sender = other.senders[served_community.pk]
    served_community.name = "Renamed"
    await sync_to_async(served_community.save)()
    await other.look()
    renamed = other.senders[served_community.pk]
    stopped = asyncio.Event()
    stopped.set()
    await other.run(stopped)

    assert not other.serving
    assert outcome.state == "delivered"
    assert fake_vk.sent_to(PERSON)[0].text == "An operator's reply"
    assert other.reach(stranger) is None
    assert renamed is not first_sender and renamed.info.name == "Renamed"
    assert not other.senders


async def test_handled_events_are_deleted_after_two_days(
    served_community, fake_vk, fake_openai, monkeypatch
):
    monkeypatch.setattr(serving, "PRUNE_EVERY", timedelta(0))  # at every look, not hourly
    fake_openai.queue(Reply("Hi."))
    fake_vk.push_message(PERSON, "Hi")
    await wait_sent(fake_vk, PERSON, 1)
    await until_stored(lambda: VkEvent.objects.filter(state="done").exists())

    old = timezone.now() - timedelta(days=3)
    await db_call(lambda: VkEvent.objects.update(received_at=old))()

    await until_stored(lambda: not VkEvent.objects.exists())


async def test_the_communitys_own_messages_are_left_alone(served_community, fake_vk, fake_openai):
    fake_openai.queue(Reply("Only to the person."))
    fake_vk.push_message(-GROUP_ID, "A post of the community itself", peer_id=PERSON)
    fake_vk.push_message(PERSON, "Hello?")

    assert [s.text for s in await wait_sent(fake_vk, PERSON, 1)] == ["Only to the person."]
    await until_stored(lambda: VkEvent.objects.filter(state="done").count() == 2)
    assert len(fake_openai.completion_requests()) == 1


async def test_the_database_away_between_looks_delays_the_work_only(
    community, fake_vk, fake_openai, running_bots, monkeypatch, caplog
):
    from django.db import OperationalError

    monkeypatch.setattr(serving, "RETRY", serving.Backoff(first=0.01, longest=0.05))
    real_queued, real_active = serving.selectors.events_queued, serving.selectors.active_communities
    failures = {"queued": 1, "active": 1}

    def queued_then_away(**arguments):
        if failures["queued"]:
            failures["queued"] -= 1
            raise OperationalError("the database is away")
        return real_queued(**arguments)

    def active_then_away():
        if failures["active"]:
            failures["active"] -= 1
            raise OperationalError("the database is away")
        return real_active()

    monkeypatch.setattr(serving.selectors, "events_queued", queued_then_away)
    monkeypatch.setattr(serving.selectors, "active_communities", active_then_away)
    await listening(fake_vk)
    fake_openai.queue(Reply("Here."))

    fake_vk.push_message(PERSON, "Hello?")

    assert (await wait_sent(fake_vk, PERSON, 1))[0].text == "Here."
    async with asyncio.timeout(30):
        while "Could not look at the VK communities" not in caplog.text:
            await asyncio.sleep(0.01)
