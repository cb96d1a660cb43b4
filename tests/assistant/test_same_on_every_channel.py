"""The terminal chat and the Telegram bot run the same use cases: same answers, same notes,
the same lead card, for the same conversation."""

import io

from asgiref.sync import sync_to_async
from django.core.management import call_command

from conversations.models import Contact, Message
from discovery.models import LeadFieldValue
from tests.bot.test_e2e_basics import wait_messages
from tests.discovery.test_e2e_discovery import ScriptedModel, make_scenario, tool

CHAT = 9301
CONVERSATION = [
    "Здравствуйте, меня зовут Анна",
    "Мой телефон +79123456789",
    "/services",
    "Бюджет 50 тысяч рублей, что посоветуете?",
    "/help",
]
CARD_READINGS = [tool({"name": "Анна"}), tool({}), tool({"budget": "50 тыс руб"})]
#: What the bot has said after each message: an answer; thanks for the phone and an answer;
#: the catalog; an answer and the card's summary to confirm; the help.
REPLIES_SO_FAR = [1, 3, 4, 6, 7]


def transcript(channel):
    contact = Contact.objects.get(channel=channel)
    messages = Message.objects.filter(contact=contact).order_by("id")
    return [(m.role, m.content_type, m.text) for m in messages]


def card(channel):
    values = LeadFieldValue.objects.filter(contact__channel=channel, is_current=True)
    return dict(values.values_list("key", "display"))


async def test_telegram_and_the_terminal_say_and_learn_the_same(
    running_bot, fake_telegram, fake_openai, services
):
    await sync_to_async(make_scenario)()
    model = ScriptedModel(fake_openai)
    model.extractions = list(CARD_READINGS)
    for text, replies_so_far in zip(CONVERSATION, REPLIES_SO_FAR, strict=True):
        fake_telegram.push_message(CHAT, text, language_code="en")
        await wait_messages(fake_telegram, CHAT, replies_so_far)

    model.extractions = list(CARD_READINGS)
    output = io.StringIO()
    lines = io.StringIO("\n".join(CONVERSATION) + "\n")
    await sync_to_async(call_command, thread_sensitive=False)(
        "chat", "--user", "anna", "--language", "en", stdin=lines, stdout=output
    )

    telegram = await sync_to_async(transcript)("telegram")
    terminal = await sync_to_async(transcript)("terminal")
    assert terminal == telegram
    assert [role for role, _kind, _text in telegram].count("user") == len(CONVERSATION)
    assert len(telegram) == len(CONVERSATION) + REPLIES_SO_FAR[-1]
    assert await sync_to_async(card)("terminal") == await sync_to_async(card)("telegram")
    assert await sync_to_async(card)("telegram") == {
        "name": "Анна",
        "budget": "50 000 RUB",
    }
