"""The conversations propose questions and answers: a 👎 answer (and what the person said of
it), an operator's answer, a question the model could not answer; one question is proposed
once, and near-duplicates are merged."""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from assistant.grounding import question_unanswered
from conversations.models import Contact, Message
from conversations.services import contact_erase, messages_redact_before
from core.db import db_call
from knowledge import proposals
from knowledge.models import Proposal
from tests.factories import BotFactory, ContactFactory, UserFactory
from tests.knowledge.learning.talk import (
    answer,
    ask,
    comment,
    exchange,
    operator_notes,
    operator_says,
    rate,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot():
    return BotFactory(name="Salon")


@pytest.fixture
def person(bot):
    return ContactFactory(bot=bot, language_code="en")


def unanswered(question: Message) -> None:
    question_unanswered.send(sender=None, message_id=question.pk)


def test_a_thumbs_down_proposes_the_question_with_the_answer_that_failed(person, bot):
    question, reply = exchange(person, "Do you work on Sundays?", "We are open every day.")

    rate(reply, "down")

    proposal = Proposal.objects.get()
    assert (proposal.kind, proposal.status) == (Proposal.Kind.DOWNVOTED, Proposal.Status.OPEN)
    assert (proposal.question, proposal.bad_answer, proposal.answer) == (
        "Do you work on Sundays?",
        "We are open every day.",
        "",
    )
    assert (proposal.bot, proposal.language, proposal.asked_times) == (bot, "en", 1)
    assert (proposal.conversation_id, proposal.question_message) == (
        question.conversation_id,
        question,
    )


def test_a_thumbs_up_proposes_nothing(person):
    _question, reply = exchange(person, "Do you work on Sundays?", "Yes, 10 to 18.")

    rate(reply, "up")

    assert not Proposal.objects.exists()


def test_the_comment_said_after_the_thumbs_down_joins_the_proposal(person):
    _question, reply = exchange(person, "Do you work on Sundays?", "We are open every day.")
    rate(reply, "down")

    comment(reply, "You are closed on Sundays!")

    assert Proposal.objects.get().comment == "You are closed on Sundays!"


def test_an_operator_correcting_a_thumbs_down_answers_its_proposal(person):
    _question, reply = exchange(person, "Do you work on Sundays?", "We are open every day.")
    rate(reply, "down")
    comment(reply, "Wrong")

    first = operator_says(person, "Sorry, we are closed on Sundays.")
    operator_says(person, "On Saturdays we work 10 to 16.")

    proposal = Proposal.objects.get()
    assert proposal.kind == Proposal.Kind.DOWNVOTED
    assert proposal.answer == "Sorry, we are closed on Sundays.\n\nOn Saturdays we work 10 to 16."
    assert (proposal.answer_message, proposal.comment) == (first, "Wrong")


def test_an_operators_answer_to_a_question_proposes_it(person):
    question = ask(person, "Can I pay by card?")

    reply = operator_says(person, "Yes, any card.")

    proposal = Proposal.objects.get()
    assert (proposal.kind, proposal.question, proposal.answer) == (
        Proposal.Kind.OPERATOR,
        "Can I pay by card?",
        "Yes, any card.",
    )
    assert (proposal.question_message, proposal.answer_message) == (question, reply)


def test_the_operator_answers_the_latest_question_only(person):
    ask(person, "Can I pay by card?")
    operator_says(person, "Yes, any card.")
    ask(person, "And where do I park?")

    operator_says(person, "Behind the building.")

    answers = dict(Proposal.objects.values_list("question", "answer"))
    assert answers == {
        "Can I pay by card?": "Yes, any card.",
        "And where do I park?": "Behind the building.",
    }


def test_notes_and_questions_that_ask_nothing_propose_nothing(person):
    ask(person, "Can I pay by card?")
    operator_notes(person, UserFactory(), "She asked twice already")
    ask(person, "???")
    operator_says(person, "Hello?")
    ask(person, "/start", content_type=Message.ContentType.COMMAND)
    operator_says(person, "Welcome!")
    redacted = ask(person, "Call me at +79991234567")
    Message.objects.filter(pk=redacted.pk).update(redacted=True, text="")
    operator_says(person, "Calling you.")

    assert not Proposal.objects.exists()


def test_a_command_or_an_answer_to_a_removed_question_proposes_nothing(person):
    unanswered(ask(person, "/price", content_type=Message.ContentType.COMMAND))
    question, reply = exchange(person, "My phone is +79991234567", "Thank you!")
    Message.objects.filter(pk=question.pk).update(redacted=True, text="")
    rate(reply, "down")
    comment(reply, "You did not call")

    assert not Proposal.objects.exists()


def test_an_operator_writing_before_any_question_proposes_nothing(person):
    operator_says(person, "Hello! Your order is ready.")

    assert not Proposal.objects.exists()


def test_a_question_the_model_could_not_answer_is_proposed_and_an_operator_answers_it(person):
    question = ask(person, "Do you do wedding hairstyles?")

    unanswered(question)
    unanswered(question)
    operator_says(person, "Yes, book a trial first.")

    proposal = Proposal.objects.get()
    assert (proposal.kind, proposal.asked_times, proposal.answer) == (
        Proposal.Kind.UNANSWERED,
        1,
        "Yes, book a trial first.",
    )


@pytest.mark.django_db(transaction=True)
async def test_the_assistant_tells_of_an_unanswered_question_from_its_event_loop(person):
    question = await db_call(ask)(person, "Do you do wedding hairstyles?")

    await db_call(question_unanswered.send)(sender=None, message_id=question.pk)

    kinds = await db_call(lambda: list(Proposal.objects.values_list("kind", flat=True)))()
    assert kinds == [Proposal.Kind.UNANSWERED]


def test_a_thumbs_down_on_an_unanswered_question_adds_the_answer_to_its_proposal(person):
    question = ask(person, "Do you do wedding hairstyles?")
    unanswered(question)

    rate(answer(question, "I will check with the staff."), "down")

    proposal = Proposal.objects.get()
    assert (proposal.kind, proposal.bad_answer) == (
        Proposal.Kind.UNANSWERED,
        "I will check with the staff.",
    )


def test_a_question_staff_reviewed_is_left_as_they_decided(person):
    ask(person, "Can I pay by card?")
    operator_says(person, "Yes, any card.")
    Proposal.objects.update(status=Proposal.Status.REJECTED)

    operator_says(person, "Even American Express.")

    assert Proposal.objects.get().answer == "Yes, any card."


def test_the_same_question_in_other_word_forms_is_merged_into_the_open_proposal(bot):
    anna, boris = (ContactFactory(bot=bot, language_code="ru") for _ in range(2))
    first = ask(anna, "Сколько стоит стрижка?")
    unanswered(first)

    second = ask(boris, "сколько стоит стрижку")
    unanswered(second)
    reply = operator_says(boris, "Стрижка — 1500 рублей.")
    operator_says(boris, "Детская — 1000.")

    open_one = Proposal.objects.get(status=Proposal.Status.OPEN)
    merged = Proposal.objects.get(status=Proposal.Status.MERGED)
    assert (open_one.question_message, open_one.asked_times) == (first, 2)
    assert (open_one.answer, open_one.answer_message) == (
        "Стрижка — 1500 рублей.\n\nДетская — 1000.",
        reply,
    )
    assert (merged.question_message, merged.merged_into) == (second, open_one)


def test_an_answer_of_its_own_stays_when_a_merged_question_is_answered(bot):
    anna, boris = (ContactFactory(bot=bot, language_code="ru") for _ in range(2))
    ask(anna, "Сколько стоит стрижка?")
    operator_says(anna, "1500 рублей.")
    ask(boris, "Сколько стоит стрижка?")

    operator_says(boris, "Для вас — 1200.")

    assert Proposal.objects.get(status=Proposal.Status.OPEN).answer == "1500 рублей."
    assert Proposal.objects.get(status=Proposal.Status.MERGED).answer == "Для вас — 1200."


def test_a_comment_on_a_merged_thumbs_down_reaches_the_open_proposal(bot):
    anna, boris = (ContactFactory(bot=bot, language_code="ru") for _ in range(2))
    rate(exchange(anna, "Сколько стоит стрижка?", "500 рублей.")[1], "down")
    reply = exchange(boris, "Сколько стоит стрижка", "500 рублей.")[1]
    rate(reply, "down")

    comment(reply, "Цена устарела")

    assert dict(Proposal.objects.values_list("status", "comment")) == {
        Proposal.Status.OPEN: "Цена устарела",
        Proposal.Status.MERGED: "Цена устарела",
    }


def test_different_questions_other_bots_and_languages_are_not_merged(bot):
    anna = ContactFactory(bot=bot, language_code="ru")
    for person, text in (
        (anna, "Сколько стоит стрижка?"),
        (anna, "Сколько стоит окрашивание?"),
        (ContactFactory(bot=BotFactory(), language_code="ru"), "Сколько стоит стрижка?"),
        (ContactFactory(bot=bot, language_code="en"), "Сколько стоит стрижка?"),
        (ContactFactory(channel=Contact.Channel.TERMINAL, language_code="xx"), "Стрижка?"),
    ):
        unanswered(ask(person, text))

    assert Proposal.objects.filter(status=Proposal.Status.OPEN).count() == 5
    assert Proposal.objects.get(bot=None).language == "ru"


def test_a_failing_proposal_is_logged_and_the_operators_message_is_kept(
    person, monkeypatch, caplog
):
    def broken(**_ids):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(proposals, "proposal_from_operator", broken)
    ask(person, "Can I pay by card?")

    with caplog.at_level(logging.ERROR, logger="knowledge.receivers"):
        reply = operator_says(person, "Yes, any card.")

    assert Message.objects.get(pk=reply.pk).author_name == "Olga"
    assert not Proposal.objects.exists()
    assert f"Knowledge proposal not recorded: broken({{'message_id': {reply.pk}}})" in caplog.text


def test_a_person_who_had_their_data_deleted_leaves_no_proposals(person):
    rate(exchange(person, "Do you work on Sundays?", "Yes.")[1], "down")
    other = ContactFactory(bot=person.bot)
    rate(exchange(other, "Is there parking?", "No.")[1], "down")

    contact_erase(contact_id=person.pk)

    assert list(Proposal.objects.values_list("question", flat=True)) == ["Is there parking?"]


def test_the_retention_period_takes_the_proposals_that_copied_the_text_it_removed(person):
    old_question, _reply = exchange(person, "Do you work on Sundays?", "Yes.")
    rate(_reply, "down")
    ask(person, "Is there parking?")
    operator_says(person, "Yes, behind the salon.")
    Message.objects.filter(pk__lte=old_question.pk + 1).update(
        created_at=timezone.now() - timedelta(days=400)
    )

    messages_redact_before(cutoff=timezone.now() - timedelta(days=365))

    assert list(Proposal.objects.values_list("question", flat=True)) == ["Is there parking?"]


def test_an_operator_answer_removed_by_retention_takes_its_proposal(person):
    ask(person, "Is there parking?")
    answer_message = operator_says(person, "Yes, behind the salon.")
    Message.objects.filter(pk=answer_message.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )

    messages_redact_before(cutoff=timezone.now() - timedelta(days=365))

    assert not Proposal.objects.exists()


def test_an_operator_answers_the_question_before_the_persons_button_presses(person):
    ask(person, "Is there parking?")
    ask(person, "📋 Services", content_type=Message.ContentType.CALLBACK)
    ask(person, "/operator", content_type=Message.ContentType.COMMAND)

    operator_says(person, "Yes, behind the salon.")

    proposal = Proposal.objects.get()
    assert (proposal.question, proposal.answer) == ("Is there parking?", "Yes, behind the salon.")
