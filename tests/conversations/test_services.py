"""Writes to leads, conversations and messages: idempotent, race-safe, first value wins."""

import logging
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from conversations import services
from conversations.models import Contact, Conversation, Message
from conversations.services import (
    ContactInfo,
    contact_mark_blocked,
    contact_record_details,
    contact_set_language,
    contact_set_source,
    contact_touch,
    conversation_start_new,
    message_record_incoming,
    message_record_reply,
)
from tests.factories import (
    ContactFactory,
    ConversationFactory,
)

pytestmark = pytest.mark.django_db


def touch(**names):
    return contact_touch(channel="telegram", external_id=42, **names)


def incoming(contact, text="Hello", **kwargs):
    return message_record_incoming(contact_id=contact.pk, text=text, **kwargs)


def age_conversation(conversation_id, hours):
    past = timezone.now() - timedelta(hours=hours)
    Conversation.objects.filter(pk=conversation_id).update(last_message_at=past)


# --- ContactInfo ----------------------------------------------------------------------------


def test_display_name_is_the_full_name_when_known():
    info = ContactInfo.from_contact(ContactFactory.build(first_name="Anna", last_name="Ivanova"))
    assert info.display_name == "Anna Ivanova"


def test_display_name_falls_back_to_the_username():
    info = ContactInfo.from_contact(ContactFactory.build(first_name="", last_name="", username="a"))
    assert info.display_name == "@a"


def test_display_name_falls_back_to_the_channel_and_user_id_the_same_everywhere():
    contact = ContactFactory.build(first_name="", last_name="", username="", external_id="777")
    assert ContactInfo.from_contact(contact).display_name == "Telegram 777"
    assert contact.display_name == "Telegram 777"


def test_a_contact_with_an_email_only_has_contact_details():
    info = ContactInfo.from_contact(ContactFactory.build(phone="", email="a@example.com"))
    assert info.has_contact_details is True


# --- contact_touch --------------------------------------------------------------------------


def test_touch_creates_a_contact_in_russian_when_no_language_is_given():
    info, created = touch(first_name="Anna")
    assert created is True
    assert info.first_name == "Anna"
    assert info.language_code == "ru"


def test_touch_keeps_the_language_the_person_uses_on_creation():
    info, _created = touch(language_code="en")
    assert info.language_code == "en"


def test_touch_finds_the_existing_contact_by_channel_and_user_id():
    first, _created = touch()
    second, created = touch()
    assert created is False
    assert second.id == first.id
    assert Contact.objects.count() == 1


def test_touch_refreshes_names_changed_on_the_channel():
    touch(username="old", first_name="Anna", last_name="K")
    info, _created = touch(username="new", first_name="Anna", last_name="")
    contact = Contact.objects.get(pk=info.id)
    assert (contact.username, contact.first_name, contact.last_name) == ("new", "Anna", "")


def test_touch_does_not_change_the_language_of_a_known_contact():
    touch(language_code="en")
    info, _created = touch(language_code="ru")
    assert info.language_code == "en"


def test_touch_with_unchanged_names_does_not_save_the_contact():
    info, _created = touch(first_name="Anna")
    before = Contact.objects.get(pk=info.id).updated_at
    touch(first_name="Anna")
    assert Contact.objects.get(pk=info.id).updated_at == before


def test_touch_returns_the_contact_another_process_created_at_the_same_moment(monkeypatch):
    def create_then_lose_the_race(**kwargs):
        ContactFactory(channel="telegram", external_id="42", first_name="Other")
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(Contact.objects, "get_or_create", create_then_lose_the_race)
    info, created = touch(first_name="Anna")
    assert created is False
    assert Contact.objects.get().pk == info.id
    assert info.first_name == "Anna"


# --- message_record_incoming ----------------------------------------------------------------


def test_the_first_message_starts_a_conversation():
    contact = ContactFactory()
    recorded = incoming(contact, telegram_update_id=1, telegram_message_id=10)
    message = Message.objects.get(pk=recorded.id)
    assert recorded.duplicate is False
    assert message.conversation_id == recorded.conversation_id
    assert (message.role, message.text) == (Message.Role.USER, "Hello")
    assert (message.telegram_update_id, message.telegram_message_id) == (1, 10)


def test_an_incoming_message_marks_the_time_of_the_last_message():
    contact = ContactFactory()
    recorded = incoming(contact)
    conversation = Conversation.objects.get(pk=recorded.conversation_id)
    contact.refresh_from_db()
    assert contact.last_message_at is not None
    assert conversation.last_message_at == contact.last_message_at


def test_an_event_handled_again_is_reported_as_a_duplicate_and_stored_once():
    contact = ContactFactory()
    first = incoming(contact, event_key="telegram:1:5", telegram_update_id=5)
    again = incoming(contact, text="Hello again", event_key="telegram:1:5", telegram_update_id=5)
    assert again == services.RecordedMessage(first.id, first.conversation_id, duplicate=True)
    assert Message.objects.count() == 1


def test_messages_without_an_event_key_are_never_treated_as_duplicates():
    contact = ContactFactory()
    incoming(contact)
    second = incoming(contact)
    assert second.duplicate is False
    assert Message.objects.count() == 2


def test_the_same_update_id_from_two_bots_is_stored_for_each():
    """Update ids are counted per bot: a new bot token starts them again."""
    contact = ContactFactory()
    incoming(contact, event_key="telegram:1:5", telegram_update_id=5)
    assert incoming(contact, event_key="telegram:2:5", telegram_update_id=5).duplicate is False
    assert Message.objects.count() == 2


def test_messages_within_the_idle_time_continue_the_conversation():
    contact = ContactFactory()
    first = incoming(contact)
    age_conversation(first.conversation_id, hours=23)
    assert incoming(contact, idle_hours=24).conversation_id == first.conversation_id


def test_a_message_after_the_idle_time_starts_a_new_conversation():
    contact = ContactFactory()
    first = incoming(contact)
    age_conversation(first.conversation_id, hours=3)
    second = incoming(contact, idle_hours=2)
    assert second.conversation_id != first.conversation_id
    assert Conversation.objects.get(pk=first.conversation_id).closed_at is not None
    assert Conversation.objects.get(pk=second.conversation_id).closed_at is None


def test_a_new_conversation_after_the_idle_time_keeps_the_earlier_messages_in_the_old_one():
    contact = ContactFactory()
    first = incoming(contact)
    age_conversation(first.conversation_id, hours=25)
    incoming(contact)
    assert Message.objects.get(pk=first.id).conversation_id == first.conversation_id


def test_an_open_conversation_without_messages_is_continued():
    conversation = ConversationFactory()
    recorded = incoming(conversation.contact, idle_hours=1)
    assert recorded.conversation_id == conversation.pk


# --- message_record_reply -------------------------------------------------------------------


def test_a_reply_goes_to_the_conversation_of_the_message_it_answers():
    contact = ContactFactory()
    question = incoming(contact)
    newer = conversation_start_new(contact_id=contact.pk)
    reply_id = message_record_reply(
        contact_id=contact.pk,
        conversation_id=question.conversation_id,
        text="Answer",
        reply_to_id=question.id,
    )
    reply = Message.objects.get(pk=reply_id)
    assert reply.conversation_id == question.conversation_id != newer
    assert reply.reply_to_id == question.id
    assert reply.role == Message.Role.ASSISTANT


def test_a_reply_without_a_question_goes_to_the_open_conversation():
    contact = ContactFactory()
    question = incoming(contact)
    reply_id = message_record_reply(contact_id=contact.pk, text="A note", role="system")
    assert Message.objects.get(pk=reply_id).conversation_id == question.conversation_id


def test_a_reply_continues_the_open_conversation_however_long_ago_it_was_active():
    contact = ContactFactory()
    question = incoming(contact)
    age_conversation(question.conversation_id, hours=24 * 30)
    reply_id = message_record_reply(contact_id=contact.pk, text="Late answer")
    assert Message.objects.get(pk=reply_id).conversation_id == question.conversation_id


def test_a_reply_without_an_open_conversation_starts_one():
    contact = ContactFactory()
    reply_id = message_record_reply(contact_id=contact.pk, text="Welcome")
    conversation = Message.objects.get(pk=reply_id).conversation
    assert conversation.contact_id == contact.pk
    assert conversation.closed_at is None


def test_a_reply_keeps_model_tokens_latency_and_status():
    contact = ContactFactory()
    reply_id = message_record_reply(
        contact_id=contact.pk,
        text="Part of an answer",
        model_name="gpt-x",
        prompt_tokens=120,
        completion_tokens=30,
        latency_ms=900,
        status=Message.Status.PARTIAL,
        error="timeout",
    )
    reply = Message.objects.get(pk=reply_id)
    assert (reply.model_name, reply.prompt_tokens, reply.completion_tokens) == ("gpt-x", 120, 30)
    assert (reply.latency_ms, reply.status, reply.error) == (900, "partial", "timeout")


def test_a_long_error_of_a_reply_is_cut_to_fit_the_column():
    contact = ContactFactory()
    reply_id = message_record_reply(
        contact_id=contact.pk, text="", status=Message.Status.FAILED, error="x" * 600
    )
    assert len(Message.objects.get(pk=reply_id).error) == 500


def test_a_reply_and_its_error_are_stored_without_characters_a_database_refuses():
    contact = ContactFactory()
    reply_id = message_record_reply(
        contact_id=contact.pk, text="Fi\x00ne\ud800", error="HTTP 500: b\x00ad"
    )
    reply = Message.objects.get(pk=reply_id)
    assert (reply.text, reply.error) == ("Fine\ufffd", "HTTP 500: bad")


def test_the_last_message_time_follows_the_person_not_the_assistant():
    contact = ContactFactory()
    question = incoming(contact)
    contact.refresh_from_db()
    asked_at = contact.last_message_at
    message_record_reply(contact_id=contact.pk, text="Hi")
    contact.refresh_from_db()
    assert asked_at is not None
    assert contact.last_message_at == asked_at
    assert Conversation.objects.get(pk=question.conversation_id).last_message_at == asked_at


# --- conversations and contact settings -----------------------------------------------------


def test_starting_a_new_conversation_closes_the_open_one():
    contact = ContactFactory()
    old = incoming(contact)
    new_id = conversation_start_new(contact_id=contact.pk)
    assert Conversation.objects.get(pk=old.conversation_id).closed_at is not None
    assert incoming(contact).conversation_id == new_id


def test_the_language_choice_is_saved():
    contact = ContactFactory(language_code="ru")
    contact_set_language(contact_id=contact.pk, language_code="en")
    contact.refresh_from_db()
    assert contact.language_code == "en"


def test_the_first_source_of_a_lead_is_kept():
    contact = ContactFactory(source="")
    assert contact_set_source(contact_id=contact.pk, source="ads") is True
    assert contact_set_source(contact_id=contact.pk, source="blog") is False
    contact.refresh_from_db()
    assert contact.source == "ads"


def test_a_long_source_is_cut_to_fit_the_column():
    contact = ContactFactory(source="")
    contact_set_source(contact_id=contact.pk, source="s" * 100)
    contact.refresh_from_db()
    assert contact.source == "s" * 64


def test_a_person_who_blocked_the_bot_is_marked_blocked(caplog):
    contact = ContactFactory(channel="telegram", external_id="42")
    with caplog.at_level(logging.INFO, logger="conversations.services"):
        contact_mark_blocked(contact_id=contact.pk)
    contact.refresh_from_db()
    assert contact.is_blocked is True
    assert f"Contact {contact.pk} blocked the bot" in caplog.text


def test_marking_an_already_blocked_person_again_logs_nothing(caplog):
    contact = ContactFactory(channel="telegram", external_id="42", is_blocked=True)
    with caplog.at_level(logging.INFO, logger="conversations.services"):
        contact_mark_blocked(contact_id=contact.pk)
    assert caplog.records == []


def test_a_person_who_comes_back_is_marked_unblocked(caplog):
    contact = ContactFactory(channel="telegram", external_id="42", is_blocked=True)
    with caplog.at_level(logging.INFO, logger="conversations.services"):
        contact_mark_blocked(contact_id=contact.pk, blocked=False)
    contact.refresh_from_db()
    assert contact.is_blocked is False
    assert "unblocked the bot" in caplog.text


def test_consent_keeps_the_time_it_was_first_given():
    contact = ContactFactory(consent_at=None)
    contact_record_details(contact_id=contact.pk, phone="+79123456789")
    first = Contact.objects.get(pk=contact.pk).consent_at
    contact_record_details(contact_id=contact.pk, phone="+79123456780")
    assert first is not None
    assert Contact.objects.get(pk=contact.pk).consent_at == first


# --- contact_record_details -----------------------------------------------------------------


def test_a_new_lead_sharing_a_phone_becomes_qualified_and_reachable():
    contact = ContactFactory(status=Contact.Status.NEW)
    update = contact_record_details(contact_id=contact.pk, phone="+79123456789")
    assert update.became_reachable is True
    assert update.changed is True
    assert update.contact.phone == "+79123456789"
    assert update.contact.status == Contact.Status.QUALIFIED


def test_sharing_details_records_consent():
    contact = ContactFactory(consent_at=None)
    update = contact_record_details(contact_id=contact.pk, email="a@example.com")
    assert update.contact.consent_at is not None
    assert Contact.objects.get(pk=contact.pk).consent_at == update.contact.consent_at


def test_sharing_details_keeps_an_earlier_consent_time():
    earlier = timezone.now() - timedelta(days=3)
    contact = ContactFactory(consent_at=earlier)
    contact_record_details(contact_id=contact.pk, phone="+79123456789")
    assert Contact.objects.get(pk=contact.pk).consent_at == earlier


def test_a_lead_already_in_work_keeps_its_status_when_details_change():
    contact = ContactFactory(status=Contact.Status.IN_WORK, phone="+79123456789")
    update = contact_record_details(contact_id=contact.pk, phone="+79998887766")
    assert update.contact.status == Contact.Status.IN_WORK
    assert Contact.objects.get(pk=contact.pk).phone == "+79998887766"


def test_a_second_contact_detail_does_not_count_as_becoming_reachable_again():
    contact = ContactFactory()
    contact_record_details(contact_id=contact.pk, phone="+79123456789")
    update = contact_record_details(contact_id=contact.pk, email="a@example.com")
    assert update.changed is True
    assert update.became_reachable is False
    assert (update.contact.phone, update.contact.email) == ("+79123456789", "a@example.com")


def test_repeating_the_same_details_changes_nothing():
    contact = ContactFactory()
    contact_record_details(contact_id=contact.pk, phone="+79123456789", email="a@example.com")
    update = contact_record_details(
        contact_id=contact.pk, phone="+79123456789", email="a@example.com"
    )
    assert update.changed is False
    assert update.became_reachable is False


def test_no_details_change_nothing_and_keep_the_lead_new():
    contact = ContactFactory(status=Contact.Status.NEW, consent_at=None)
    update = contact_record_details(contact_id=contact.pk, phone=None, email="")
    assert update.changed is False
    assert update.contact.status == Contact.Status.NEW
    assert update.contact.consent_at is None


def test_capturing_a_lead_is_logged(caplog):
    contact = ContactFactory()
    with caplog.at_level(logging.INFO, logger="conversations.services"):
        contact_record_details(contact_id=contact.pk, phone="+79123456789")
    assert f"Lead captured: contact {contact.pk}" in caplog.text
