"""Ratings of answers and the satisfaction survey as stored and as the transcript shows them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import AnswerRating, ConversationSurvey, Message
from conversations.selectors import personal_data, prompt_versions
from conversations.services import (
    contact_erase,
    message_record_reply,
    messages_redact_before,
    rating_record,
    rating_skip_comment,
    rating_take_comment,
    survey_answer,
    survey_start,
)
from tests.factories import ContactFactory, ConversationFactory, MessageFactory, PromptFactory


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def reply(db):
    contact = ContactFactory(first_name="Anna")
    talk = ConversationFactory(contact=contact)
    MessageFactory(conversation=talk, text="How much?")
    reply_id = message_record_reply(
        contact_id=contact.pk,
        conversation_id=talk.pk,
        text="It costs 3000.",
        model_name="fast",
        prompt_versions={"system": 7, "faq": 3},
    )
    return Message.objects.get(pk=reply_id)


def test_a_rating_copies_the_model_and_prompt_versions_of_the_answer(reply):
    rating = rating_record(message_id=reply.pk, contact_id=reply.contact_id, value="up")

    assert (rating.value, rating.new) == ("up", True)
    stored = AnswerRating.objects.get()
    assert (stored.model_name, stored.prompt_versions, stored.prompt_version) == (
        "fast",
        {"system": 7, "faq": 3},
        "faq#3 system#7",
    )


def test_only_the_model_s_answers_to_that_lead_can_be_rated(reply):
    note = message_record_reply(contact_id=reply.contact_id, text="Thanks!", role="system")
    stranger = ContactFactory()

    assert rating_record(message_id=note, contact_id=reply.contact_id, value="up") is None
    assert rating_record(message_id=reply.pk, contact_id=stranger.pk, value="up") is None
    assert not AnswerRating.objects.exists()


def test_a_later_thumbs_down_takes_over_the_awaited_comment(reply):
    first = rating_record(message_id=reply.pk, contact_id=reply.contact_id, value="down")
    second_reply = message_record_reply(
        contact_id=reply.contact_id, text="Another", model_name="fast"
    )
    rating_record(message_id=second_reply, contact_id=reply.contact_id, value="down")
    comment = MessageFactory(conversation=reply.conversation, text="Too vague")

    assert first.new
    assert rating_take_comment(contact_id=reply.contact_id, message_id=comment.pk, text="x")
    comments = dict(AnswerRating.objects.values_list("message_id", "comment"))
    assert comments == {reply.pk: "", second_reply: "x"}


def test_a_comment_handled_again_is_recognised_and_a_stray_text_is_no_comment(reply):
    rating_record(message_id=reply.pk, contact_id=reply.contact_id, value="down")
    comment = MessageFactory(conversation=reply.conversation, text="Wrong")

    assert rating_take_comment(contact_id=reply.contact_id, message_id=comment.pk, text="Wrong")
    assert rating_take_comment(contact_id=reply.contact_id, message_id=comment.pk, text="Wrong")
    later = MessageFactory(conversation=reply.conversation, text="New question")
    assert not rating_take_comment(contact_id=reply.contact_id, message_id=later.pk, text="Q")


def test_skipping_the_comment_of_a_thumbs_up_changes_nothing(reply):
    rating_record(message_id=reply.pk, contact_id=reply.contact_id, value="up")

    assert not rating_skip_comment(contact_id=reply.contact_id, message_id=reply.pk)


def test_one_survey_per_conversation_and_its_first_answer_counts(reply):
    survey = survey_start(
        conversation_id=reply.conversation_id, contact_id=reply.contact_id, trigger="idle"
    )

    assert (
        survey_start(
            conversation_id=reply.conversation_id, contact_id=reply.contact_id, trigger="confirmed"
        )
        is None
    )
    assert survey_answer(survey_id=survey, contact_id=reply.contact_id, score=2)
    assert not survey_answer(survey_id=survey, contact_id=reply.contact_id, score=None)
    assert not survey_answer(survey_id=survey, contact_id=ContactFactory().pk, score=5)
    assert ConversationSurvey.objects.values_list("score", "skipped").get() == (2, False)


def test_prompt_versions_name_the_latest_history_entry_of_each_prompt_in_effect(db):
    shared = PromptFactory(key="system", language="en", text="Be polite.")
    first = shared.history.latest().history_id
    shared.text = "Be very polite."
    shared.save()

    versions = prompt_versions(language="en")

    assert versions == {"system": shared.history.latest().history_id}
    assert versions["system"] != first


def test_the_transcript_shows_the_rating_its_comment_and_the_survey(admin_client, reply):
    rating_record(message_id=reply.pk, contact_id=reply.contact_id, value="down")
    comment = MessageFactory(conversation=reply.conversation, text="Wrong price")
    rating_take_comment(contact_id=reply.contact_id, message_id=comment.pk, text="Wrong price")
    survey = survey_start(
        conversation_id=reply.conversation_id, contact_id=reply.contact_id, trigger="idle"
    )
    survey_answer(survey_id=survey, contact_id=reply.contact_id, score=3)

    url = reverse("admin:conversations_contact_transcript", args=[reply.contact_id])
    content = admin_client.get(url).content.decode()

    assert "👎 · What was wrong: Wrong price" in content
    assert "Satisfaction 3 of 5" in content


@pytest.mark.parametrize(
    ("score", "skipped", "shown"),
    [
        (None, True, "Satisfaction survey skipped"),
        (None, False, "Satisfaction survey not answered"),
    ],
)
def test_the_transcript_tells_a_skipped_or_unanswered_survey(
    admin_client, reply, score, skipped, shown
):
    ConversationSurvey.objects.create(
        conversation=reply.conversation,
        contact_id=reply.contact_id,
        trigger="idle",
        score=score,
        skipped=skipped,
    )
    rating_record(message_id=reply.pk, contact_id=reply.contact_id, value="down")

    url = reverse("admin:conversations_contact_transcript", args=[reply.contact_id])
    content = admin_client.get(url).content.decode()

    assert shown in content
    assert "asked what was wrong" in content


def test_ratings_and_surveys_read_as_what_they_hold(reply):
    rating_record(message_id=reply.pk, contact_id=reply.contact_id, value="up")
    survey = survey_start(
        conversation_id=reply.conversation_id, contact_id=reply.contact_id, trigger="idle"
    )

    assert str(AnswerRating.objects.get()) == f"👍 {reply.pk}"
    assert str(ConversationSurvey.objects.get()) == f"{reply.conversation_id}: —"
    survey_answer(survey_id=survey, contact_id=reply.contact_id, score=4)
    assert str(ConversationSurvey.objects.get()) == f"{reply.conversation_id}: 4"


def commented_down(reply, text="Wrong price"):
    rating_record(message_id=reply.pk, contact_id=reply.contact_id, value="down")
    comment = MessageFactory(conversation=reply.conversation, text=text)
    rating_take_comment(contact_id=reply.contact_id, message_id=comment.pk, text=text)
    return comment


def test_deleting_a_person_s_data_removes_what_they_said_was_wrong(reply):
    commented_down(reply)

    contact_erase(contact_id=reply.contact_id)

    assert AnswerRating.objects.values_list("value", "comment").get() == ("down", "")


def test_retention_removes_a_comment_with_the_message_that_carried_it(reply):
    comment = commented_down(reply)
    Message.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(days=40))

    messages_redact_before(cutoff=timezone.now() - timedelta(days=30))

    assert AnswerRating.objects.values_list("comment", flat=True).get() == ""


def test_a_person_s_data_lists_their_ratings_and_surveys(reply):
    commented_down(reply)
    survey = survey_start(
        conversation_id=reply.conversation_id, contact_id=reply.contact_id, trigger="idle"
    )
    survey_answer(survey_id=survey, contact_id=reply.contact_id, score=2)

    data = personal_data(contact_id=reply.contact_id)

    assert [(r["rating"], r["comment"]) for r in data["answer_ratings"]] == [
        ("down", "Wrong price")
    ]
    assert [(s["score"], s["skipped"]) for s in data["satisfaction_surveys"]] == [(2, False)]
