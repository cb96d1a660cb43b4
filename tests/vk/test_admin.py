"""Staff connect a VK community in admin: the key write-only, the Callback API's address."""

import pytest

from tests.fakes.vk_server import GROUP_ID
from vk.models import VkCommunity, VkEvent

ENGLISH = {"Accept-Language": "en"}


def community_form(bot, **changes) -> dict:
    return {
        "name": "Shop in VK",
        "group_id": GROUP_ID,
        "bot": bot.pk,
        "is_active": "on",
        "token": "vk1.a.secret-key",
        "confirmation_code": "",
        "callback_secret": "",
        **changes,
    }


def test_a_community_added_keeps_its_key_encrypted_and_never_shows_it(admin_client, telegram_bot):
    added = admin_client.post("/admin/vk/vkcommunity/add/", community_form(telegram_bot))
    assert added.status_code == 302
    community = VkCommunity.objects.get()

    page = admin_client.get(
        f"/admin/vk/vkcommunity/{community.pk}/change/", headers=ENGLISH
    ).content.decode()

    assert community.token() == "vk1.a.secret-key"
    assert "vk1.a.secret-key" not in community.token_encrypted
    assert "vk1.a.secret-key" not in page
    assert "stored encrypted" in page
    assert f"http://testserver/vk/callback/{community.pk}/" in page


def test_saving_without_a_new_key_keeps_the_old_one(admin_client, telegram_bot):
    admin_client.post("/admin/vk/vkcommunity/add/", community_form(telegram_bot))
    community = VkCommunity.objects.get()

    admin_client.post(
        f"/admin/vk/vkcommunity/{community.pk}/change/",
        community_form(telegram_bot, token="", name="Renamed"),
    )

    community.refresh_from_db()
    assert (community.name, community.token()) == ("Renamed", "vk1.a.secret-key")


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"token": ""}, "Give the community&#x27;s access key."),
        ({"callback_api": "on"}, "The Callback API needs the confirmation code"),
    ],
)
def test_what_cannot_work_is_not_saved(admin_client, telegram_bot, changes, error):
    refused = admin_client.post(
        "/admin/vk/vkcommunity/add/", community_form(telegram_bot, **changes), headers=ENGLISH
    )

    assert error in refused.content.decode()
    assert not VkCommunity.objects.exists()


def test_without_keys_no_access_key_can_be_stored(admin_client, telegram_bot, settings):
    settings.BOT_TOKEN_KEYS = []

    refused = admin_client.post(
        "/admin/vk/vkcommunity/add/", community_form(telegram_bot), headers=ENGLISH
    )

    assert "BOT_TOKEN_KEYS is not set" in refused.content.decode()


def test_the_add_page_says_the_address_comes_once_saved(admin_client):
    page = admin_client.get("/admin/vk/vkcommunity/add/", headers=ENGLISH).content.decode()

    assert "Shown once the community is saved." in page
    assert "not given" in page


def test_events_are_shown_but_not_made_or_changed(admin_client, community):
    event = VkEvent.objects.create(
        community=community, event_id="e1", peer_id=7, kind="message_new", payload={}
    )

    listed = admin_client.get("/admin/vk/vkevent/")
    page = admin_client.get(f"/admin/vk/vkevent/{event.pk}/change/")

    assert listed.status_code == page.status_code == 200
    assert admin_client.get("/admin/vk/vkevent/add/").status_code == 403
    assert str(event) == "message_new e1"
