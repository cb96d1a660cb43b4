"""Prompts through the API: changed as an admin save changes them, with history."""

import pytest

from conversations.models import Prompt
from conversations.selectors import prompt_texts
from tests.api.conftest import issue
from tests.factories import BotFactory, PromptFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_change_applies_to_the_next_message_and_is_kept_in_history(api, issuer):
    prompt = PromptFactory(key="faq", language="en", text="We accept cards.")
    assert prompt_texts(language="en")["faq"] == "We accept cards."

    answer = api.patch(f"/prompts/{prompt.pk}", {"text": "Cards and cash."})

    assert answer.status_code == 200
    assert prompt_texts(language="en")["faq"] == "Cards and cash."
    latest = Prompt.history.filter(id=prompt.pk).latest("history_id")
    assert (latest.text, latest.history_user, latest.history_change_reason) == (
        "Cards and cash.",
        issuer,
        "API: CRM sync",
    )
    assert Prompt.objects.get(pk=prompt.pk).updated_by == issuer


def test_a_prompt_comes_with_every_version_newest_first(api):
    prompt = PromptFactory(text="First.")
    api.patch(f"/prompts/{prompt.pk}", {"text": "Second."})
    api.patch(f"/prompts/{prompt.pk}", {"is_active": False})

    answer = api.get(f"/prompts/{prompt.pk}").json()

    assert answer["is_active"] is False
    versions = [(v["text"], v["is_active"], v["reason"]) for v in answer["history"]]
    assert versions == [
        ("Second.", False, "API: CRM sync"),
        ("Second.", True, "API: CRM sync"),
        ("First.", True, None),
    ]
    assert answer["history"][0]["changed_by"] == "issuer"


def test_a_change_of_nothing_or_to_empty_text_is_refused(api):
    prompt = PromptFactory(text="First.")

    assert api.patch(f"/prompts/{prompt.pk}", {}).status_code == 422
    assert api.patch(f"/prompts/{prompt.pk}", {"text": "  "}).status_code == 422
    assert Prompt.history.filter(id=prompt.pk).count() == 1


def test_a_token_sees_the_shared_prompts_and_its_bots_own(api_as):
    mine, theirs = BotFactory(), BotFactory()
    manager = UserFactory(username="manager")
    mine.staff.add(manager)
    shared = PromptFactory(key="faq", bot=None)
    own = PromptFactory(key="faq", bot=mine)
    hidden = PromptFactory(key="faq", bot=theirs)
    api = api_as(issue(user=manager))

    assert sorted(p["id"] for p in api.get("/prompts").json()) == sorted([shared.pk, own.pk])
    assert api.get(f"/prompts/{hidden.pk}").status_code == 404
    assert api.patch(f"/prompts/{hidden.pk}", {"text": "Mine now."}).status_code == 404
