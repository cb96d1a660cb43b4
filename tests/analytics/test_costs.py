"""Tokens and cost by model: replies and lead-card extraction, priced from the registry."""

from decimal import Decimal

import pytest

from analytics.selectors import llm_costs
from conversations.models import Message
from tests.analytics.conftest import PERIOD
from tests.analytics.seed import conversation, extraction_run, lead, message, moscow
from tests.factories import LLMModelFactory

DAY = moscow("2025-03-04")


def reply(talk, model_name, prompt, completion, when=DAY):
    return message(
        talk,
        when,
        role=Message.Role.ASSISTANT,
        model_name=model_name,
        prompt_tokens=prompt,
        completion_tokens=completion,
    )


@pytest.fixture
def usage(db):
    """gpt-x costs 1.00 in / 4.00 out per million tokens; old-model left the registry.

    Replies: gpt-x 3,000 in + 1,000 out = 0.007; old-model 10,000 + 1,000 = 0 (unknown price).
    Extraction: gpt-x 500,000 in + 100,000 out = 0.9. Total 0.907.
    """
    LLMModelFactory(model_id="gpt-x", input_price_per_million=1, output_price_per_million=4)
    contact = lead(DAY, source="ads")
    talk = conversation(contact)
    reply(talk, "gpt-x", 1000, 500)
    reply(talk, "gpt-x", 2000, 500)
    reply(talk, "old-model", 10_000, 1000)
    reply(talk, "", None, None)  # a canned text, not an LLM call
    reply(talk, "gpt-x", 10**6, 10**6, when=moscow("2025-03-11"))
    message(talk, DAY, role=Message.Role.USER)
    extraction_run(
        contact, DAY, model_name="gpt-x", prompt_tokens=500_000, completion_tokens=100_000
    )
    extraction_run(contact, moscow("2025-02-28"), model_name="gpt-x", prompt_tokens=10**6)
    return contact


def by_name(report):
    return {model.model_name: model for model in report.models}


def test_reply_tokens_and_cost_per_model(usage):
    gpt = by_name(llm_costs(**PERIOD))["gpt-x"]

    assert (gpt.replies.calls, gpt.replies.prompt_tokens, gpt.replies.completion_tokens) == (
        2,
        3000,
        1000,
    )
    assert gpt.replies.cost == Decimal("0.007")


def test_extraction_tokens_and_cost_per_model(usage):
    gpt = by_name(llm_costs(**PERIOD))["gpt-x"]

    assert (gpt.extraction.calls, gpt.extraction.tokens) == (1, 600_000)
    assert gpt.extraction.cost == Decimal("0.9")


def test_model_total_adds_replies_and_extraction(usage):
    gpt = by_name(llm_costs(**PERIOD))["gpt-x"]

    assert (gpt.total.calls, gpt.total.tokens, gpt.total.cost) == (3, 604_000, Decimal("0.907"))


def test_a_model_missing_from_the_registry_costs_nothing_and_is_flagged(usage):
    old = by_name(llm_costs(**PERIOD))["old-model"]

    assert not old.in_registry
    assert old.total.tokens == 11_000
    assert old.total.cost == 0


def test_report_totals_cover_every_model(usage):
    report = llm_costs(**PERIOD)

    assert [model.model_name for model in report.models] == ["gpt-x", "old-model"]
    assert (report.replies.calls, report.replies.tokens) == (3, 15_000)
    assert report.extraction.tokens == 600_000
    assert report.total.cost == Decimal("0.907")


def test_costs_follow_the_source_filter(usage):
    assert llm_costs(**PERIOD, source="vk").models == []
    assert len(llm_costs(**PERIOD, source="ads").models) == 2


def test_a_model_under_two_providers_is_priced_by_the_active_one(db):
    LLMModelFactory(model_id="twin", input_price_per_million=9, is_active=False, position=0)
    LLMModelFactory(model_id="twin", input_price_per_million=2, position=5)
    reply(conversation(lead(DAY)), "twin", 1_000_000, 0)

    assert llm_costs(**PERIOD).total.cost == Decimal(2)
