"""API tokens in admin: issued with the secret shown once, revoked, each staff user's own."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from api.models import ApiToken
from api.services import secret_hash
from tests.api.conftest import issue
from tests.factories import BotFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:api_apitoken_add")
LIST = reverse("admin:api_apitoken_changelist")


def test_issuing_a_token_shows_its_secret_once(admin_client, staff_user):
    answer = admin_client.post(
        ADD,
        {"name": "CRM sync", "scopes": ["leads:read", "messages:send"], "rate_per_minute": 30},
        follow=True,
    )

    token = ApiToken.objects.get()
    (secret,) = re.findall(r"<code>(ca_[\w-]+)</code>", answer.content.decode())
    assert token.secret_hash == secret_hash(secret)
    assert (token.created_by, token.scopes, token.rate_per_minute) == (
        staff_user,
        ["leads:read", "messages:send"],
        30,
    )
    page = admin_client.get(reverse("admin:api_apitoken_change", args=[token.pk]))
    assert secret not in page.content.decode()
    assert token.prefix in page.content.decode()


def test_revoking_tokens_stops_them(admin_client, staff_user, api_as):
    secret = issue(user=staff_user)
    token = ApiToken.objects.get()

    admin_client.post(LIST, {"action": "revoke", "_selected_action": [token.pk]})

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_as(secret).get("/leads").status_code == 401


def test_staff_see_their_own_tokens_and_offer_their_own_bots(client, staff_user):
    mine = BotFactory(name="Mine")
    BotFactory(name="Theirs")
    manager = UserFactory(username="manager")
    manager.user_permissions.add(*Permission.objects.filter(codename__endswith="apitoken"))
    mine.staff.add(manager)
    issue(user=staff_user, name="Admin's")
    issue(user=manager, name="Manager's")
    client.force_login(manager)

    listed = client.get(LIST).content.decode()
    form = client.get(ADD).content.decode()

    assert "Manager&#x27;s" in listed and "Admin&#x27;s" not in listed
    assert "Mine" in form and "Theirs" not in form


def test_a_tokens_reach_is_fixed_once_issued(admin_client, staff_user):
    issue(user=staff_user, scopes=["leads:read"])
    token = ApiToken.objects.get()

    admin_client.post(
        reverse("admin:api_apitoken_change", args=[token.pk]),
        {"name": "Renamed", "scopes": ["prompts:write"], "rate_per_minute": 5},
    )

    token.refresh_from_db()
    assert (token.name, token.scopes, token.rate_per_minute) == ("Renamed", ["leads:read"], 5)
