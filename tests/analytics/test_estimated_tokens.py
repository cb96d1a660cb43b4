"""Token totals say when they include offline estimates (providers that report no usage)."""

import pytest

from analytics.selectors import llm_costs
from conversations.models import Message
from tests.analytics.conftest import PERIOD
from tests.analytics.seed import conversation, extraction_run, lead, message, moscow

DAY = moscow("2025-03-04")
MARCH = {"date_from": "2025-03-01", "date_to": "2025-03-10"}


def reply(talk, model_name, *, estimated):
    return message(
        talk,
        DAY,
        role=Message.Role.ASSISTANT,
        model_name=model_name,
        prompt_tokens=100,
        completion_tokens=10,
        tokens_estimated=estimated,
    )


@pytest.fixture
def usage(db):
    """gpt-x reported its usage; local-llama (llama.cpp) did not, twice for replies."""
    contact = lead(DAY)
    talk = conversation(contact)
    reply(talk, "gpt-x", estimated=False)
    reply(talk, "local-llama", estimated=True)
    reply(talk, "local-llama", estimated=True)
    extraction_run(contact, DAY, model_name="gpt-x", prompt_tokens=50, completion_tokens=5)
    return contact


def test_each_usage_counts_its_calls_with_estimated_tokens(usage):
    report = llm_costs(**PERIOD)
    models = {model.model_name: model for model in report.models}

    assert models["local-llama"].replies.estimated_calls == 2
    assert models["gpt-x"].total.estimated_calls == 0
    assert report.total.estimated_calls == 2


def test_the_page_marks_totals_that_include_estimates(admin_client, usage, settings):
    settings.LANGUAGE_CODE = "en"

    content = admin_client.get("/admin/analytics/", MARCH).content.decode()

    assert '<td class="number">≈ 200</td>' in content  # local-llama's reply prompt tokens
    assert '<td class="number">≈ 220</td>' in content  # local-llama's total
    assert '<td class="number">≈ 300</td>' in content  # all replies' prompt tokens
    assert '<td class="number">165</td>' in content  # gpt-x's total: reported, no marker
    assert "≈ includes offline estimates for 2 calls whose provider sent no token counts." in (
        content
    )


def test_the_page_has_no_marker_when_every_provider_reported_usage(admin_client, db):
    talk = conversation(lead(DAY))
    reply(talk, "gpt-x", estimated=False)

    content = admin_client.get("/admin/analytics/", MARCH).content.decode()

    assert "≈" not in content
