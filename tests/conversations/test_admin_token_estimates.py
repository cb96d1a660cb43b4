"""Staff see which token counts came from the provider and which were estimated offline."""

import pytest
from django.urls import reverse

from conversations.models import Message
from discovery.models import ExtractionRun
from tests.factories import ConversationFactory, MessageFactory


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def replies(db):
    talk = ConversationFactory()
    counted = {"role": Message.Role.ASSISTANT, "model_name": "gpt-x"}
    MessageFactory(conversation=talk, prompt_tokens=120, completion_tokens=30, **counted)
    MessageFactory(
        conversation=talk, prompt_tokens=95, completion_tokens=12, tokens_estimated=True, **counted
    )
    return talk.contact


def test_the_transcript_marks_estimated_token_counts(admin_client, replies):
    url = reverse("admin:conversations_contact_transcript", args=[replies.pk])

    content = admin_client.get(url).content.decode()

    assert "· 120 + 30 tokens" in content
    assert "· ≈ 95 + 12 tokens (estimated)" in content


def test_the_message_list_marks_estimated_token_counts(admin_client, replies):
    content = admin_client.get(reverse("admin:conversations_message_changelist")).content.decode()

    assert "≈ 95 + 12" in content
    assert "120 + 30" in content and "≈ 120" not in content


def test_the_extraction_run_list_shows_which_runs_were_estimated(admin_client, replies):
    for estimated in (False, True):
        ExtractionRun.objects.create(
            contact=replies, model_name="m", status="ok", tokens_estimated=estimated
        )

    response = admin_client.get(reverse("admin:discovery_extractionrun_changelist"))

    content = response.content.decode()
    assert "tokens estimated" in content.lower()
    assert 'alt="True"' in content and 'alt="False"' in content
