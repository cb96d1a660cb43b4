"""A conversation as the bot's pipeline records it: through the conversations' services, so
the knowledge base hears of it by the same signals as in production."""

from conversations.models import Message
from conversations.services import (
    desk_note,
    message_record_incoming,
    message_record_reply,
    operator_record_message,
    rating_record,
    rating_take_comment,
)


def ask(contact, text: str, **options) -> Message:
    recorded = message_record_incoming(contact_id=contact.pk, text=text, **options)
    return Message.objects.get(pk=recorded.id)


def answer(question: Message, text: str) -> Message:
    reply_id = message_record_reply(
        contact_id=question.contact_id,
        conversation_id=question.conversation_id,
        reply_to_id=question.pk,
        text=text,
        model_name="fast",
    )
    return Message.objects.get(pk=reply_id)


def rate(reply: Message, value: str) -> None:
    rating_record(message_id=reply.pk, contact_id=reply.contact_id, value=value)


def comment(reply: Message, text: str) -> Message:
    """The person's next message, taken as what was wrong with the 👎 answer."""
    said = ask(reply.contact, text)
    assert rating_take_comment(contact_id=reply.contact_id, message_id=said.pk, text=text)
    return said


def operator_says(contact, text: str) -> Message:
    recorded = operator_record_message(contact_id=contact.pk, text=text, author_name="Olga")
    return Message.objects.get(pk=recorded.id)


def operator_notes(contact, user, text: str) -> None:
    desk_note(contact_id=contact.pk, user_id=user.pk, author_name="Olga", text=text)


def exchange(contact, question: str, reply: str) -> tuple[Message, Message]:
    asked = ask(contact, question)
    return asked, answer(asked, reply)
