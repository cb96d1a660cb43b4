"""Staff set up a site in admin: the snippet to paste, origins checked, their bots only."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests.factories import BotFactory, UserFactory
from webchat.models import WebSite

ENGLISH = {"Accept-Language": "en"}


def site_form(bot, **changes) -> dict:
    return {
        "name": "Shop",
        "bot": bot.pk,
        "is_active": "on",
        "allowed_origins": "https://shop.example",
        "title": "",
        "greeting": "{}",
        "accent_colour": "#2563eb",
        "visitor_messages_per_minute": 10,
        "address_messages_per_minute": 60,
        "max_message_chars": 2000,
        **changes,
    }


def test_a_site_added_shows_the_snippet_to_paste(admin_client, telegram_bot):
    added = admin_client.post("/admin/webchat/website/add/", site_form(telegram_bot))
    assert added.status_code == 302
    site = WebSite.objects.get()

    page = admin_client.get(f"/admin/webchat/website/{site.pk}/change/").content.decode()

    assert (
        f"&lt;script src=&quot;http://testserver/webchat/widget.js&quot; "
        f"data-site=&quot;{site.key}&quot; async&gt;&lt;/script&gt;"
    ) in page
    assert len(site.key) >= 20


def test_the_add_page_says_the_snippet_comes_once_saved(admin_client, telegram_bot):
    page = admin_client.get("/admin/webchat/website/add/", headers=ENGLISH).content.decode()

    assert "Shown once the site is saved." in page


@pytest.mark.parametrize(
    "origins",
    ["shop.example", "https://shop.example/page", "ftp://shop.example", "https://"],
)
def test_what_is_not_an_origin_is_refused(admin_client, telegram_bot, origins):
    refused = admin_client.post(
        "/admin/webchat/website/add/",
        site_form(telegram_bot, allowed_origins=origins),
        headers=ENGLISH,
    )

    assert refused.status_code == 200
    assert "Not an origin" in refused.content.decode()
    assert not WebSite.objects.exists()


def test_origins_with_ports_and_several_lines_are_taken(admin_client, telegram_bot):
    origins = "https://shop.example\nhttp://127.0.0.1:8080\nhttps://www.shop.example/"
    admin_client.post(
        "/admin/webchat/website/add/", site_form(telegram_bot, allowed_origins=origins)
    )

    assert WebSite.objects.get().allowed_origins.split() == origins.split()


def test_a_colour_must_be_a_colour(admin_client, telegram_bot):
    refused = admin_client.post(
        "/admin/webchat/website/add/",
        site_form(telegram_bot, accent_colour="blue"),
        headers=ENGLISH,
    )

    assert "A colour such as #2563eb." in refused.content.decode()


def test_staff_see_and_make_sites_of_their_bots_only(db, telegram_bot):
    theirs, other = BotFactory(name="Theirs"), BotFactory(name="Other")
    WebSite.objects.create(name="Their shop", bot=theirs, allowed_origins="https://a.example")
    WebSite.objects.create(name="Other shop", bot=other, allowed_origins="https://b.example")
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="webchat"))
    theirs.staff.add(user)
    client = Client()
    client.force_login(user)

    listed = client.get("/admin/webchat/website/").content.decode()
    refused = client.post("/admin/webchat/website/add/", site_form(other, name="Mine"))

    assert "Their shop" in listed and "Other shop" not in listed
    assert refused.status_code == 200
    assert not WebSite.objects.filter(name="Mine").exists()
