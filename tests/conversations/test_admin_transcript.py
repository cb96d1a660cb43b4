"""A lead's conversation as a readable, paginated transcript."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from conversations.models import Message
from conversations.selectors import transcript_page_of
from tests.factories import ContactFactory, ConversationFactory, MessageFactory, UserFactory


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def transcript_url(contact):
    return reverse("admin:conversations_contact_transcript", args=[contact.pk])


def shown_texts(response):
    return [entry.message.text for entry in response.context["entries"]]


@pytest.fixture
def long_talk(db, settings):
    """Two conversations, 25 messages one minute apart; pages of 10."""
    settings.ADMIN_TRANSCRIPT_PAGE_SIZE = 10
    contact = ContactFactory()
    first = ConversationFactory(contact=contact)
    second = ConversationFactory(contact=contact)
    start = timezone.now() - timedelta(days=1)
    for number in range(25):
        message = MessageFactory(
            conversation=first if number < 12 else second, text=f"message {number:02d}"
        )
        Message.objects.filter(pk=message.pk).update(created_at=start + timedelta(minutes=number))
    return contact


def test_transcript_opens_on_the_newest_page(admin_client, long_talk):
    response = admin_client.get(transcript_url(long_talk))

    assert shown_texts(response) == [f"message {n:02d}" for n in range(20, 25)]


def test_first_page_holds_the_oldest_messages_in_time_order(admin_client, long_talk):
    response = admin_client.get(transcript_url(long_talk), {"p": 1})

    assert shown_texts(response) == [f"message {n:02d}" for n in range(10)]


def test_second_page_continues_where_the_first_ended(admin_client, long_talk):
    response = admin_client.get(transcript_url(long_talk), {"p": 2})

    assert shown_texts(response) == [f"message {n:02d}" for n in range(10, 20)]


@pytest.mark.parametrize("number", [0, 9, 10, 24])
def test_a_messages_page_is_the_one_that_shows_it(admin_client, long_talk, settings, number):
    message = Message.objects.get(text=f"message {number:02d}")

    contact_id, page = transcript_page_of(
        message_id=message.pk, page_size=settings.ADMIN_TRANSCRIPT_PAGE_SIZE
    )

    assert contact_id == long_talk.pk
    assert message.text in shown_texts(admin_client.get(transcript_url(long_talk), {"p": page}))


def test_conversation_boundary_is_marked(admin_client, long_talk):
    response = admin_client.get(transcript_url(long_talk), {"p": 2})

    starts = [e.message.text for e in response.context["entries"] if e.starts_conversation]
    assert starts == ["message 10", "message 12"]
    assert response.content.decode().count("Conversation started") == 2


def test_message_text_is_escaped(admin_client, db):
    message = MessageFactory(text="<script>alert(1)</script>")

    response = admin_client.get(transcript_url(message.contact))

    content = response.content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_transcript_shows_role_model_and_failure(admin_client, db):
    message = MessageFactory(
        role=Message.Role.ASSISTANT,
        model_name="gpt-test",
        status=Message.Status.FAILED,
        error="timeout",
    )

    content = admin_client.get(transcript_url(message.contact)).content.decode()

    assert "Assistant" in content
    assert "gpt-test" in content
    assert "Failed: timeout" in content


def test_transcript_shows_a_voice_message_with_its_duration_and_transcript(admin_client, db):
    heard = MessageFactory(
        content_type=Message.ContentType.VOICE,
        media_seconds=42,
        transcribed=True,
        text="How much is it?",
    )
    MessageFactory(
        contact=heard.contact,
        conversation=heard.conversation,
        role=Message.Role.SYSTEM,
        content_type=Message.ContentType.VOICE,
        text="",
        model_name="fake-tts",
    )

    content = admin_client.get(transcript_url(heard.contact)).content.decode()

    assert "Voice" in content
    assert "42 s" in content
    assert "transcript" in content
    assert "How much is it?" in content
    assert "(the answer above, read aloud)" in content


def test_transcript_shows_who_of_the_operators_wrote_and_their_notes(admin_client, db):
    reply = MessageFactory(role=Message.Role.OPERATOR, author_name="Olga", text="I am here")
    MessageFactory(
        conversation=reply.conversation, role=Message.Role.NOTE, author_name="Olga", text="VIP"
    )

    content = admin_client.get(transcript_url(reply.contact)).content.decode()

    assert "<strong>Operator</strong> · Olga" in content
    assert "<strong>Internal note</strong> · Olga" in content
    assert 'class="message role-note"' in content


def test_lead_without_messages_gets_a_plain_note(admin_client, db):
    response = admin_client.get(transcript_url(ContactFactory()))

    assert "no messages yet" in response.content.decode()


def test_unknown_lead_is_not_found(admin_client, db):
    response = admin_client.get(reverse("admin:conversations_contact_transcript", args=[999999]))

    assert response.status_code == 404


def test_staff_without_view_permission_is_refused(client, db):
    contact = ContactFactory()
    client.force_login(UserFactory(username="intern"))

    assert client.get(transcript_url(contact)).status_code == 403


def test_staff_with_view_permission_reads_it(client, db):
    message = MessageFactory(text="hello there")
    user = UserFactory(username="viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_contact"))
    client.force_login(user)

    assert shown_texts(client.get(transcript_url(message.contact))) == ["hello there"]


def test_transcript_query_count_does_not_grow_with_messages(
    admin_client, long_talk, django_assert_max_num_queries
):
    # 6 for the transcript, 2 for its page's ratings and surveys, 3 for the lead card above
    # it (scenario, fields, values).
    with django_assert_max_num_queries(11):
        admin_client.get(transcript_url(long_talk), {"p": 2})


def test_an_undelivered_reply_is_marked_in_the_transcript(admin_client):
    conversation = ConversationFactory()
    MessageFactory(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        text="Ответ, который не дошёл",
        delivery=Message.Delivery.UNDELIVERED,
        delivery_error="deadline exceeded; last error NetworkError: Bad Gateway",
    )
    MessageFactory(
        conversation=conversation, role=Message.Role.ASSISTANT, delivery=Message.Delivery.DELIVERED
    )
    page = admin_client.get(transcript_url(conversation.contact)).content.decode()
    assert page.count("Not delivered: deadline exceeded") == 1


def test_a_group_conversation_is_labelled_with_its_chat(admin_client):
    conversation = ConversationFactory(group_chat_id="-100777")
    MessageFactory(conversation=conversation)
    page = admin_client.get(transcript_url(conversation.contact)).content.decode()
    assert "in group chat -100777" in page


def test_an_operator_s_message_shows_whether_it_arrived(admin_client):
    conversation = ConversationFactory()
    MessageFactory(
        conversation=conversation,
        role=Message.Role.OPERATOR,
        text="Hello, Olga here.",
        delivery=Message.Delivery.DELIVERED,
    )
    MessageFactory(
        conversation=conversation,
        role=Message.Role.OPERATOR,
        text="One more thing",
        delivery=Message.Delivery.PENDING,
    )

    page = admin_client.get(transcript_url(conversation.contact)).content.decode()

    assert "· Delivered" in page
    assert "· Sending" in page


def test_the_messages_search_finds_what_was_said_in_a_voice_message(admin_client, db):
    MessageFactory(content_type=Message.ContentType.VOICE, transcribed=True, text="a sauna price")
    MessageFactory(text="something else")

    page = admin_client.get(reverse("admin:conversations_message_changelist"), {"q": "sauna"})

    assert [message.text for message in page.context["cl"].result_list] == ["a sauna price"]


def test_an_answer_shows_the_knowledge_base_passages_it_stood_on(admin_client, db):
    contact = ContactFactory()
    MessageFactory(
        contact=contact,
        role=Message.Role.ASSISTANT,
        text="A haircut is 1500 RUB.",
        sources=[
            {"chunk": 4, "title": "Prices › Haircuts", "url": "https://salon.example/prices"},
            {"chunk": 9, "title": "<b>Approved answer</b>"},
        ],
    )
    page = admin_client.get(transcript_url(contact)).content.decode()
    assert "Sources:" in page
    assert '<a href="https://salon.example/prices"' in page
    assert "Prices › Haircuts</a>" in page
    assert "&lt;b&gt;Approved answer&lt;/b&gt;" in page
