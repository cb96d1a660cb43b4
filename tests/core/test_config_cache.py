"""Configuration reads cached per process until staff change something, in any process."""

import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.urls import reverse

from catalog.selectors import active_services
from conversations.selectors import prompt_texts
from core.config_cache import config_changed
from core.db import db_call
from core.models import ConfigVersion
from tests.factories import PromptFactory, ServiceFactory
from tests.migrating import migrate_to_latest

pytestmark = pytest.mark.django_db


def test_a_second_read_asks_only_whether_something_changed(django_assert_num_queries):
    PromptFactory(key="greeting", language="ru", text="Здравствуйте!")
    prompt_texts(language="ru")
    with django_assert_num_queries(1):
        assert prompt_texts(language="ru") == {"greeting": "Здравствуйте!"}


@pytest.mark.django_db(transaction=True)  # the hop may run in a thread of its own
def test_within_one_database_hop_nothing_is_asked_twice(django_assert_num_queries):
    PromptFactory(key="greeting", language="ru", text="Здравствуйте!")
    ServiceFactory(title="Консультация")

    def both():
        return prompt_texts(language="ru"), active_services(language="ru")

    async_to_sync(db_call(both))()  # fills the cache

    queries = []

    def counted():
        from django.db import connection

        with connection.execute_wrapper(lambda run, *args: queries.append(args[0]) or run(*args)):
            return both()

    prompts, services = async_to_sync(db_call(counted))()
    assert prompts == {"greeting": "Здравствуйте!"}
    assert [service.title for service in services] == ["Консультация"]
    assert len(queries) == 1


def test_a_saved_edit_is_read_at_once():
    prompt = PromptFactory(key="greeting", language="ru", text="Здравствуйте!")
    assert prompt_texts(language="ru")["greeting"] == "Здравствуйте!"
    prompt.text = "Привет!"
    prompt.save()
    assert prompt_texts(language="ru")["greeting"] == "Привет!"


def test_a_deleted_service_is_no_longer_offered():
    service = ServiceFactory(title="Консультация")
    assert active_services(language="ru")
    service.delete()
    assert active_services(language="ru") == []


def test_an_edit_without_signals_is_read_once_announced():
    service = ServiceFactory(title="Консультация")
    active_services(language="ru")
    type(service).objects.filter(pk=service.pk).update(is_active=False)
    config_changed()
    assert active_services(language="ru") == []


def test_deactivating_services_from_the_admin_list_applies_at_once(admin_client):
    service = ServiceFactory(title="Консультация")
    assert active_services(language="ru")
    admin_client.post(
        reverse("admin:catalog_service_changelist"),
        {"action": "deactivate", "_selected_action": [service.pk]},
    )
    assert active_services(language="ru") == []


def test_a_caller_changing_its_copy_changes_nothing_for_the_next():
    PromptFactory(key="greeting", language="ru", text="Здравствуйте!")
    prompt_texts(language="ru")["greeting"] = "changed"
    assert prompt_texts(language="ru")["greeting"] == "Здравствуйте!"


def test_without_the_version_row_every_read_goes_to_the_database(django_assert_num_queries):
    PromptFactory(key="greeting", language="ru", text="Здравствуйте!")
    ConfigVersion.objects.all().delete()
    prompt_texts(language="ru")
    with django_assert_num_queries(2):
        assert prompt_texts(language="ru") == {"greeting": "Здравствуйте!"}


def test_texts_missing_in_a_language_follow_the_site_language_when_it_changes(settings):
    PromptFactory(key="greeting", language="ru", text="Здравствуйте!")
    PromptFactory(key="greeting", language="en", text="Hello!")
    assert prompt_texts(language="de")["greeting"] == "Здравствуйте!"
    settings.LANGUAGE_CODE = "en"
    assert prompt_texts(language="de")["greeting"] == "Hello!"


def test_a_migration_counts_as_a_change():
    """Data migrations write without signals while an older bot may still run."""
    before = ConfigVersion.objects.get().token
    call_command("migrate", verbosity=0)
    assert ConfigVersion.objects.get().token != before


@pytest.mark.django_db(transaction=True)
def test_taking_the_version_back_with_its_migration_still_works():
    try:
        call_command("migrate", "core", "0001", verbosity=0)
    finally:
        migrate_to_latest()
    assert ConfigVersion.objects.exists()
