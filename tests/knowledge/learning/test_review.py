"""Staff approve a proposal into a knowledge entry (as proposed or edited), which the search
finds at once; one that asks what an entry answers replaces that entry's answer; rejected
proposals add nothing."""

import logging

import pytest

from knowledge import proposals
from knowledge.models import KnowledgeEntry, Proposal
from knowledge.proposals import ReviewRefused, proposal_approve, proposal_reject
from tests.factories import BotFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot():
    return BotFactory(name="Salon")


@pytest.fixture
def reviewer():
    return UserFactory(username="reviewer")


def proposed(bot, question="Сколько стоит стрижка?", answer="1500 рублей.", **fields):
    return Proposal.objects.create(
        bot=bot,
        language="ru",
        kind=Proposal.Kind.OPERATOR,
        question=question,
        answer=answer,
        **fields,
    )


def test_approving_makes_an_entry_the_search_finds_at_once(bot, reviewer, indexed):
    proposal = proposed(bot)

    approval = proposal_approve(proposal_id=proposal.pk, user_id=reviewer.pk)

    entry = KnowledgeEntry.objects.get()
    assert (entry.bot, entry.language, entry.question, entry.answer) == (
        bot,
        "ru",
        "Сколько стоит стрижка?",
        "1500 рублей.",
    )
    assert (entry.approved_by, entry.is_active, entry.merged_count) == (reviewer, True, 0)
    assert (approval.entry, approval.created, approval.merged, approval.indexed) == (
        entry,
        True,
        0,
        True,
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.entry, proposal.reviewed_by) == (
        Proposal.Status.APPROVED,
        entry,
        reviewer,
    )
    assert proposal.reviewed_at is not None
    assert indexed == [entry.pk]


def test_staff_edit_the_question_and_the_answer_before_approving(bot, reviewer):
    proposal = proposed(bot, question="скока стрижка", answer="1500")

    proposal_approve(
        proposal_id=proposal.pk,
        user_id=reviewer.pk,
        question=" Сколько стоит мужская стрижка? ",
        answer="Мужская стрижка — 1500 рублей.",
    )

    assert KnowledgeEntry.objects.values_list("question", "answer").get() == (
        "Сколько стоит мужская стрижка?",
        "Мужская стрижка — 1500 рублей.",
    )
    assert Proposal.objects.get().answer == "Мужская стрижка — 1500 рублей."


def test_a_proposal_without_an_answer_cannot_be_approved(bot, reviewer, indexed):
    proposal = proposed(bot, answer="")

    with pytest.raises(ReviewRefused, match="has no answer yet"):
        proposal_approve(proposal_id=proposal.pk, user_id=reviewer.pk, answer="   ")

    assert Proposal.objects.get().status == Proposal.Status.OPEN
    assert not KnowledgeEntry.objects.exists()
    assert indexed == []


def test_a_proposal_is_reviewed_once(bot, reviewer):
    proposal = proposed(bot)
    proposal_approve(proposal_id=proposal.pk, user_id=reviewer.pk)

    with pytest.raises(ReviewRefused, match="was reviewed already"):
        proposal_approve(proposal_id=proposal.pk, user_id=reviewer.pk)
    assert not proposal_reject(proposal_id=proposal.pk, user_id=reviewer.pk)

    assert KnowledgeEntry.objects.count() == 1


def test_approving_what_an_active_entry_asks_replaces_its_answer(bot, reviewer, indexed):
    entry = KnowledgeEntry.objects.create(
        bot=bot, language="ru", question="Сколько стоит стрижка?", answer="1000 рублей."
    )
    KnowledgeEntry.objects.create(
        bot=bot,
        language="ru",
        question="сколько стоит стрижка",
        answer="Старый ответ",
        is_active=False,
    )
    proposal = proposed(bot, question="сколько стоит стрижку", answer="Теперь 1500 рублей.")

    approval = proposal_approve(proposal_id=proposal.pk, user_id=reviewer.pk)

    entry.refresh_from_db()
    assert (approval.entry, approval.created) == (entry, False)
    assert (entry.question, entry.answer, entry.merged_count, entry.approved_by) == (
        "Сколько стоит стрижка?",
        "Теперь 1500 рублей.",
        1,
        reviewer,
    )
    assert KnowledgeEntry.objects.count() == 2
    assert indexed == [entry.pk]


def test_an_entry_of_another_bot_or_language_is_not_replaced(bot, reviewer):
    KnowledgeEntry.objects.create(
        bot=BotFactory(), language="ru", question="Сколько стоит стрижка?", answer="1000"
    )
    KnowledgeEntry.objects.create(
        bot=bot, language="en", question="Сколько стоит стрижка?", answer="1000"
    )

    approval = proposal_approve(proposal_id=proposed(bot).pk, user_id=reviewer.pk)

    assert approval.created
    assert KnowledgeEntry.objects.count() == 3


def test_open_proposals_asking_the_same_are_merged_into_the_approved_one(bot, reviewer):
    proposal = proposed(bot)
    twin = proposed(bot, question="Стрижка сколько стоит", answer="")
    merged_before = proposed(bot, question="стрижку сколько стоит", status=Proposal.Status.MERGED)
    Proposal.objects.filter(pk=merged_before.pk).update(merged_into=proposal)
    other = proposed(bot, question="Где вы находитесь?")

    approval = proposal_approve(proposal_id=proposal.pk, user_id=reviewer.pk)

    assert approval.merged == 1
    twin.refresh_from_db()
    assert (twin.status, twin.merged_into, twin.entry, twin.reviewed_by) == (
        Proposal.Status.MERGED,
        proposal,
        approval.entry,
        reviewer,
    )
    assert Proposal.objects.get(pk=merged_before.pk).entry == approval.entry
    assert Proposal.objects.get(pk=other.pk).status == Proposal.Status.OPEN


def test_rejecting_adds_nothing(bot, reviewer):
    proposal = proposed(bot)

    assert proposal_reject(proposal_id=proposal.pk, user_id=reviewer.pk)

    proposal.refresh_from_db()
    assert (proposal.status, proposal.reviewed_by) == (Proposal.Status.REJECTED, reviewer)
    assert not KnowledgeEntry.objects.exists()


def test_an_entry_the_search_could_not_take_is_kept_and_the_failure_logged(
    bot, reviewer, monkeypatch, caplog
):
    def unreachable(entry_id):
        raise ConnectionError("the embeddings server is down")

    monkeypatch.setattr(proposals, "_index", unreachable)

    with caplog.at_level(logging.ERROR, logger="knowledge.proposals"):
        approval = proposal_approve(proposal_id=proposed(bot).pk, user_id=reviewer.pk)

    assert not approval.indexed
    assert KnowledgeEntry.objects.filter(pk=approval.entry.pk).exists()
    assert f"Knowledge entry {approval.entry.pk} was saved but not indexed" in caplog.text
