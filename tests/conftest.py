"""Fixtures shared by the whole suite."""

import pytest
from asgiref.sync import SyncToAsync
from django.db import connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils import translation

from core.db import DatabaseThreads
from tests.factories import UserFactory

pytest_plugins = ["tests.fakes.fixtures", "tests.file_server", "tests.running_bot"]


@receiver(connection_created, dispatch_uid="tests.readers_take_no_table_locks")
def readers_take_no_table_locks(sender, connection, **_kwargs):
    """SQLite's test database is one in-memory database shared between connections (shared
    cache), where a reader locks each table it reads and a writer then fails at once ("database
    table is locked"): a running bot's periodic reads (its bots, the configuration) met a
    test's writes. Readers there take no table locks, as readers of a file database (the
    product's SQLite) never block a writer."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        connection.cursor().execute("PRAGMA read_uncommitted = true")


@pytest.fixture(autouse=True)
def english_by_default():
    """Assertions read the English source strings; tests about Russian ask for it.

    The product's default language stays Russian: the bot chooses each person's language
    itself, and `tests/test_translations.py` checks the Russian catalogue.
    """
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def close_connections_of_async_code():
    """Database work of async code runs in asgiref's shared thread, or on PostgreSQL in the
    database threads (`core.db`); close what they opened.

    Otherwise those threads keep PostgreSQL sessions open past the test, and the test
    database cannot be dropped at the end of the run.
    """
    yield
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()
    DatabaseThreads.shut_down()


#: The suite's key for bots' tokens stored in the database (never a real deployment's).
BOT_TOKEN_KEY = "Vq0Jx0VxG3u0e2B2rVJ6l0d5wq8D3Dq3i7n8m4Zl0cU="


@pytest.fixture(autouse=True)
def bot_token_key(settings):
    settings.BOT_TOKEN_KEYS = [BOT_TOKEN_KEY]
    return BOT_TOKEN_KEY


@pytest.fixture
def staff_user(db):
    """A superuser: every admin page and action is open to them."""
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client
