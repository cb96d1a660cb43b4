"""The inbox in the admin: staff see what failed and why, and can change nothing."""

import pytest
from django.contrib import admin
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from bot.inbox import inbox_fail, inbox_store
from bot.models import InboundUpdate
from tests.factories import BotFactory, UserFactory
from tests.permissions import login_with_permissions

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_a_failed_update_is_listed_with_its_reason(staff_client):
    [stored] = inbox_store(bot_id=1, payloads=[{"update_id": 42, "message": {"chat": {"id": 5}}}])
    inbox_fail(inbound_id=stored.id, error="RuntimeError: boom", final=True)
    url = reverse("admin:bot_inboundupdate_changelist")
    page = staff_client.get(url, {"state__exact": "failed"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "RuntimeError: boom" in page.content.decode()
    detail = staff_client.get(reverse("admin:bot_inboundupdate_change", args=[stored.id]))
    assert detail.status_code == 200
    assert "RuntimeError: boom" in detail.content.decode()


def test_the_inbox_cannot_be_added_to_or_edited(staff_client):
    [stored] = inbox_store(bot_id=1, payloads=[{"update_id": 42}])
    assert staff_client.get(reverse("admin:bot_inboundupdate_add")).status_code == 403
    staff_client.post(
        reverse("admin:bot_inboundupdate_change", args=[stored.id]), {"state": "done"}
    )
    assert InboundUpdate.objects.get().state == "queued"


def test_the_job_queues_own_admin_is_not_offered():
    assert not admin.site.is_registered(ProcrastinateJob)


@pytest.fixture
def two_bots_inbox():
    """An update of each of two bots, and one of a bot no longer registered."""
    shop, clinic = BotFactory(name="Shop"), BotFactory(name="Clinic")
    for bot_id in (shop.telegram_id, clinic.telegram_id, 1):
        inbox_store(bot_id=bot_id, payloads=[{"update_id": 42}])
    return shop, clinic


def listed_bots(response) -> list:
    return sorted(update.bot_id for update in response.context["cl"].result_list)


def test_each_update_shows_its_bots_name(staff_client, two_bots_inbox):
    content = staff_client.get(reverse("admin:bot_inboundupdate_changelist")).content.decode()

    assert '<td class="field-bot">Shop</td>' in content
    assert '<td class="field-bot">Clinic</td>' in content


def test_the_inbox_filters_by_bot(staff_client, two_bots_inbox):
    shop, _clinic = two_bots_inbox

    response = staff_client.get(
        reverse("admin:bot_inboundupdate_changelist"), {"bot": shop.telegram_id}
    )

    assert listed_bots(response) == [shop.telegram_id]


def test_staff_see_only_the_updates_of_their_bots(client, two_bots_inbox):
    _shop, clinic = two_bots_inbox
    staff = login_with_permissions(client, "view_inboundupdate", bots=[clinic])

    response = staff.get(reverse("admin:bot_inboundupdate_changelist"))

    assert listed_bots(response) == [clinic.telegram_id]
