"""Staff read the database log sink in admin: list, filter, search, never edit."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import LogEntry

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:core_logentry_changelist")


def add_entry(*, level="INFO", logger_name="bot.handlers", message="update handled", days_ago=0):
    return LogEntry.objects.create(
        created_at=timezone.now() - timedelta(days=days_ago),
        level=level,
        logger_name=logger_name,
        message=message,
        traceback=(
            "Traceback (most recent call last):\nValueError: boom" if level == "ERROR" else ""
        ),
    )


def listed_messages(response):
    return [entry.message for entry in response.context["cl"].result_list]


def test_changelist_shows_entries_newest_first(admin_client):
    add_entry(message="older", days_ago=1)
    add_entry(message="newer")
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed_messages(response) == ["newer", "older"]


def test_long_messages_are_shortened_in_the_list(admin_client):
    add_entry(message="x" * 500)
    content = admin_client.get(CHANGELIST).content.decode()
    assert "x" * 119 + "…" in content
    assert "x" * 121 not in content


def test_filter_by_level(admin_client):
    add_entry(level="INFO", message="started")
    add_entry(level="ERROR", message="provider failed")
    response = admin_client.get(CHANGELIST, {"level": "ERROR"})
    assert listed_messages(response) == ["provider failed"]


def test_filter_by_logger(admin_client):
    add_entry(logger_name="bot.handlers", message="from bot")
    add_entry(logger_name="assistant.gateway", message="from gateway")
    response = admin_client.get(CHANGELIST, {"logger_name": "assistant.gateway"})
    assert listed_messages(response) == ["from gateway"]


def test_filter_by_date(admin_client):
    add_entry(message="today")
    add_entry(message="last month", days_ago=40)
    changelist = admin_client.get(CHANGELIST).context["cl"]
    date_filter = next(spec for spec in changelist.filter_specs if spec.title == _("time"))
    choices = date_filter.choices(changelist)
    past_week = next(choice for choice in choices if choice["display"] == _("Past 7 days"))
    response = admin_client.get(CHANGELIST + past_week["query_string"])
    assert listed_messages(response) == ["today"]


def test_search_finds_words_in_messages(admin_client):
    add_entry(message="lead captured for contact 42")
    add_entry(message="bot started")
    response = admin_client.get(CHANGELIST, {"q": "lead captured"})
    assert listed_messages(response) == ["lead captured for contact 42"]


def test_entries_cannot_be_added(admin_client):
    assert admin_client.get(reverse("admin:core_logentry_add")).status_code == 403


def test_entry_page_is_read_only_with_the_traceback(admin_client):
    entry = add_entry(level="ERROR", message="reply failed")
    url = reverse("admin:core_logentry_change", args=[entry.pk])
    content = admin_client.get(url).content.decode()
    assert "ValueError: boom" in content
    assert 'name="_save"' not in content
    admin_client.post(url, {"message": "edited"})
    entry.refresh_from_db()
    assert entry.message == "reply failed"


def test_entries_can_be_deleted(admin_client):
    entry = add_entry()
    url = reverse("admin:core_logentry_delete", args=[entry.pk])
    admin_client.post(url, {"post": "yes"})
    assert not LogEntry.objects.exists()
