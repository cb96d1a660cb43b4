"""Reads for the assistant: a contact, the dialogue so far and the prompts."""

import pytest

from conversations.models import Message
from conversations.selectors import (
    HistoryItem,
    contact_info,
    conversation_history,
    prompt_texts,
)
from tests.factories import (
    ContactFactory,
    ConversationFactory,
    MessageFactory,
    PromptFactory,
)

pytestmark = pytest.mark.django_db


def test_contact_info_reflects_the_stored_contact():
    contact = ContactFactory(phone="+79123456789", source="ads", language_code="en")
    info = contact_info(contact_id=contact.pk)
    assert (info.id, info.phone, info.source, info.language_code) == (
        contact.pk,
        "+79123456789",
        "ads",
        "en",
    )


def test_history_is_oldest_first_with_roles():
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, role=Message.Role.USER, text="Hi")
    MessageFactory(conversation=conversation, role=Message.Role.ASSISTANT, text="Hello!")
    assert conversation_history(conversation_id=conversation.pk) == [
        HistoryItem("user", "Hi"),
        HistoryItem("assistant", "Hello!"),
    ]


def test_history_up_to_a_message_leaves_out_what_was_stored_after_it():
    """The lead card reads the history up to the person's message while its answer may be
    being stored: the same history either way."""
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, role=Message.Role.USER, text="Hi")
    asked = MessageFactory(conversation=conversation, role=Message.Role.USER, text="How much?")
    MessageFactory(conversation=conversation, role=Message.Role.ASSISTANT, text="3000 RUB")
    history = conversation_history(conversation_id=conversation.pk, up_to_message_id=asked.pk)
    assert [item.text for item in history] == ["Hi", "How much?"]


def test_history_leaves_out_failed_replies():
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, text="Question")
    MessageFactory(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        text="Half an ans",
        status=Message.Status.FAILED,
    )
    assert [item.text for item in conversation_history(conversation_id=conversation.pk)] == [
        "Question"
    ]


def test_history_keeps_partial_replies():
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, text="Half", status=Message.Status.PARTIAL)
    assert [item.text for item in conversation_history(conversation_id=conversation.pk)] == ["Half"]


def test_history_leaves_out_messages_without_text():
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, text="", content_type=Message.ContentType.STICKER)
    MessageFactory(conversation=conversation, text="Words")
    assert [item.text for item in conversation_history(conversation_id=conversation.pk)] == [
        "Words"
    ]


def test_history_keeps_only_the_latest_messages_up_to_the_limit():
    conversation = ConversationFactory()
    for text in ("one", "two", "three"):
        MessageFactory(conversation=conversation, text=text)
    history = conversation_history(conversation_id=conversation.pk, limit=2)
    assert [item.text for item in history] == ["two", "three"]


def test_history_is_limited_to_one_conversation():
    contact = ContactFactory()
    MessageFactory(conversation=ConversationFactory(contact=contact), text="Earlier dialogue")
    current = ConversationFactory(contact=contact)
    MessageFactory(conversation=current, text="Now")
    assert [item.text for item in conversation_history(conversation_id=current.pk)] == ["Now"]


def test_prompts_come_in_the_requested_language(settings):
    settings.LANGUAGE_CODE = "ru"
    PromptFactory(key="greeting", language="ru", text="Привет")
    PromptFactory(key="greeting", language="en", text="Hello")
    assert prompt_texts(language="en") == {"greeting": "Hello"}


def test_a_prompt_missing_in_the_language_falls_back_to_the_site_language(settings):
    settings.LANGUAGE_CODE = "ru"
    PromptFactory(key="greeting", language="en", text="Hello")
    PromptFactory(key="faq", language="ru", text="Вопросы")
    assert prompt_texts(language="en") == {"greeting": "Hello", "faq": "Вопросы"}


def test_an_inactive_prompt_is_ignored_in_favour_of_the_site_language(settings):
    settings.LANGUAGE_CODE = "ru"
    PromptFactory(key="greeting", language="en", text="Hello", is_active=False)
    PromptFactory(key="greeting", language="ru", text="Привет")
    assert prompt_texts(language="en") == {"greeting": "Привет"}


def test_an_inactive_prompt_without_a_fallback_is_missing(settings):
    settings.LANGUAGE_CODE = "ru"
    PromptFactory(key="faq", language="ru", text="Вопросы", is_active=False)
    assert prompt_texts(language="ru") == {}
