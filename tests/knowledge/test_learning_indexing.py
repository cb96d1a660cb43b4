"""An approved proposal is searchable at once: its entry's passage is in the index."""

import pytest

from knowledge.models import Chunk, Proposal
from knowledge.proposals import proposal_approve
from tests.factories import BotFactory, UserFactory


@pytest.mark.django_db
def test_an_approved_entry_is_indexed_at_once():
    proposal = Proposal.objects.create(
        bot=BotFactory(),
        language="ru",
        kind=Proposal.Kind.OPERATOR,
        question="Сколько стоит стрижка?",
        answer="Стрижка стоит 1500 рублей.",
    )

    approval = proposal_approve(proposal_id=proposal.pk, user_id=UserFactory().pk)

    assert approval.indexed
    passage = Chunk.objects.get(entry=approval.entry)
    assert "1500 рублей" in passage.text
