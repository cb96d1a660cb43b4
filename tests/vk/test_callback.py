"""VK's Callback API: the confirmation, the secret, events stored before "ok" and then
handled by the bot process serving the community."""

import json

import pytest
from django.test import Client

from tests.fakes.openai_server import Reply
from tests.fakes.vk_server import GROUP_ID
from tests.vk.conftest import wait_sent
from vk.models import VkEvent

PERSON = 5550002


@pytest.fixture
def callback_community(community):
    community.callback_api = True
    community.confirmation_code = "a1b2c3d4"
    community.callback_secret = "s3cret-key"
    community.save()
    return community


def post(community, body, **changes) -> tuple[int, str]:
    response = Client().post(
        f"/vk/callback/{community.pk}/", json.dumps({**body, **changes}), "application/json"
    )
    return response.status_code, response.content.decode()


def message_event(text: str, event_id: str = "cb1") -> dict:
    return {
        "type": "message_new",
        "group_id": GROUP_ID,
        "event_id": event_id,
        "secret": "s3cret-key",
        "object": {
            "message": {"from_id": PERSON, "peer_id": PERSON, "text": text, "id": 1},
            "client_info": {"lang_id": 3},
        },
    }


def test_vk_gets_the_confirmation_code(callback_community):
    assert post(callback_community, {"type": "confirmation", "group_id": GROUP_ID}) == (
        200,
        "a1b2c3d4",
    )


@pytest.mark.parametrize("secret", ["wrong", ""])
def test_a_post_without_the_secret_is_refused_and_not_kept(callback_community, secret):
    assert post(callback_community, message_event("Hi"), secret=secret)[0] == 403
    assert not VkEvent.objects.exists()


def test_an_event_is_kept_once_and_vk_told_ok(callback_community):
    assert post(callback_community, message_event("Hi")) == (200, "ok")
    assert post(callback_community, message_event("Hi")) == (200, "ok")

    assert VkEvent.objects.get().peer_id == PERSON


@pytest.mark.parametrize(
    "body, status",
    [
        ("not json", 400),
        (json.dumps({"type": "message_new", "group_id": 1}), 400),
        (json.dumps([1, 2]), 400),
    ],
)
def test_what_is_not_an_event_of_the_community_is_refused(callback_community, body, status):
    response = Client().post(f"/vk/callback/{callback_community.pk}/", body, "application/json")

    assert response.status_code == status


def test_a_community_that_does_not_use_the_callback_api_is_unknown_here(community):
    assert post(community, {"type": "confirmation", "group_id": GROUP_ID})[0] == 404


def test_a_huge_post_is_refused(callback_community):
    huge = message_event("x" * 300_000)

    assert post(callback_community, huge)[0] == 413


def test_with_the_database_away_vk_is_told_to_post_again(callback_community, monkeypatch):
    from django.db import OperationalError

    def database_away(**_arguments):
        raise OperationalError("the database is away")

    monkeypatch.setattr("vk.views.services.events_store", database_away)

    assert post(callback_community, message_event("Hi"))[0] == 503


async def test_a_posted_message_is_answered_by_the_bot_process(
    callback_community, running_bots, fake_vk, fake_openai
):
    fake_openai.queue(Reply("Answered from a post."))

    from asgiref.sync import sync_to_async

    assert await sync_to_async(post)(callback_community, message_event("Hello?")) == (200, "ok")

    sent = await wait_sent(fake_vk, PERSON, 1)
    assert sent[0].text == "Answered from a post."
    assert fake_vk.polls == 0
