"""A random history of leads, played through the services and the admin's saves and deletes.

Every step runs with the clock set a few minutes to hours after the previous one, so rows fall
on many days and around midnight, as they would over three weeks of real use.
"""

import random
from collections.abc import Callable
from datetime import timedelta

from conversations import services
from conversations.models import Contact, Conversation, Message
from discovery.services import extraction_run_record, lead_qualify
from tests.analytics.seed import clock_at, moscow
from tests.factories import BotFactory

SOURCES = ("ads", "vk", "site")
MODELS = ("gpt-x", "gpt-y", "")
START = moscow("2025-03-01", "00:00")


class History:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.contacts: list[int] = []
        #: Leads made so far: each new lead is another person (deleted leads' ids are not reused).
        self.people = 0
        self.updates = 0
        #: Two bots, and None for the terminal chat's leads.
        self.bots = [BotFactory().pk, BotFactory().pk, None]

    def lead(self) -> int:
        return self.rng.choice(self.contacts)

    # --- What people and the bot do --------------------------------------------------------

    def new_lead(self):
        info, _created = services.contact_touch(
            channel="telegram",
            external_id=str(self.people + 10_000),
            bot_id=self.rng.choice(self.bots),
        )
        self.people += 1
        self.contacts.append(info.id)
        if self.rng.random() < 0.5:
            services.contact_set_source(contact_id=info.id, source=self.rng.choice(SOURCES))

    def message(self):
        self.updates += 1
        kinds = (Message.ContentType.TEXT, Message.ContentType.COMMAND, Message.ContentType.PHOTO)
        services.message_record_incoming(
            contact_id=self.lead(),
            text="How much is an audit?",
            content_type=self.rng.choice(kinds),
            telegram_update_id=self.updates,
            idle_hours=self.rng.choice((1, 24)),
            group_chat_id=self.rng.choice(("", "", "", "-100500")),
        )

    def reply(self):
        latency = self.rng.choice((None, self.rng.randint(0, 40), self.rng.randint(300, 9000)))
        services.message_record_reply(
            contact_id=self.lead(),
            text="An audit costs 5,000.",
            model_name=self.rng.choice(MODELS),
            prompt_tokens=self.rng.choice((None, self.rng.randint(1, 3000))),
            completion_tokens=self.rng.randint(1, 500),
            tokens_estimated=self.rng.random() < 0.3,
            latency_ms=latency,
        )

    def extraction(self):
        extraction_run_record(
            contact_id=self.lead(),
            message_id=None,
            model_name=self.rng.choice(MODELS),
            status="ok",
            prompt_tokens=self.rng.randint(1, 2000),
            completion_tokens=self.rng.choice((None, 40)),
            tokens_estimated=self.rng.random() < 0.3,
        )

    def details(self):
        services.contact_record_details(
            contact_id=self.lead(),
            phone=self.rng.choice((None, f"+7999{self.rng.randint(0, 9999999):07d}")),
            email=self.rng.choice((None, "lead@example.com")),
            qualify=self.rng.random() < 0.5,
        )

    def qualify(self):
        lead_qualify(contact_id=self.lead())

    def new_conversation(self):
        services.conversation_start_new(contact_id=self.lead())

    # --- What staff do in the admin --------------------------------------------------------

    def change_status(self):
        contact = Contact.objects.get(pk=self.lead())
        contact.status = self.rng.choice(Contact.Status.values)
        contact.save()

    def change_source(self):
        contact = Contact.objects.get(pk=self.lead())
        contact.source = self.rng.choice(("", *SOURCES))
        contact.save()

    def change_bot(self):
        contact = Contact.objects.get(pk=self.lead())
        contact.bot_id = self.rng.choice(self.bots)
        contact.save()

    def delete_lead(self):
        contact_id = self.lead()
        self.contacts.remove(contact_id)
        Contact.objects.get(pk=contact_id).delete()

    def delete_conversation(self):
        talk = Conversation.objects.filter(contact_id=self.lead()).order_by("?").first()
        if talk is not None:
            talk.delete()

    def delete_messages(self):
        mine = Message.objects.filter(contact_id=self.lead())
        Message.objects.filter(pk__in=list(mine.values_list("pk", flat=True)[:2])).delete()

    def steps(self) -> list[tuple[Callable[[], None], int]]:
        """Each step with its weight: mostly messages, now and then a deletion."""
        return [
            (self.new_lead, 8),
            (self.message, 30),
            (self.reply, 30),
            (self.extraction, 6),
            (self.details, 5),
            (self.qualify, 3),
            (self.new_conversation, 3),
            (self.change_status, 4),
            (self.change_source, 2),
            (self.change_bot, 1),
            (self.delete_lead, 1),
            (self.delete_conversation, 1),
            (self.delete_messages, 2),
        ]


def play(seed: int, steps: int = 300) -> None:
    rng = random.Random(seed)
    history = History(rng)
    actions, weights = zip(*history.steps(), strict=True)
    moment = START
    with clock_at(moment):
        history.new_lead()
    for _ in range(steps):
        moment += timedelta(minutes=rng.randint(1, 360))
        action = rng.choices(actions, weights)[0]
        with clock_at(moment):
            if history.contacts or action == history.new_lead:
                action()
