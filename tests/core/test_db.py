"""Database work from async code keeps its connection, and replaces one that broke."""

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, connections

from core import db
from core.db import db_call

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def closes(monkeypatch):
    """The connections closed, by the alias of each close."""
    closed = []
    original = type(connections["default"]).close

    def close(self):
        closed.append(self.alias)
        original(self)

    monkeypatch.setattr(type(connections["default"]), "close", close)
    return closed


def raw_connection():
    connection.ensure_connection()
    return connection.connection


def test_calls_share_one_open_connection(closes):
    first = async_to_sync(db_call(raw_connection))()
    assert async_to_sync(db_call(raw_connection))() is first
    assert closes == []


def test_a_connection_that_failed_and_no_longer_answers_is_replaced(closes, monkeypatch):
    def fail():
        raw_connection()
        connection.errors_occurred = True
        monkeypatch.setattr(type(connections["default"]), "is_usable", lambda self: False)

    async_to_sync(db_call(fail))()
    async_to_sync(db_call(raw_connection))()
    assert closes == ["default"]


def test_a_connection_that_failed_but_still_answers_is_kept(closes):
    def fail():
        raw_connection()
        connection.errors_occurred = True

    async_to_sync(db_call(fail))()
    async_to_sync(db_call(raw_connection))()
    assert closes == []
    assert not async_to_sync(db_call(lambda: connection.errors_occurred))()


def test_a_connection_idle_for_long_is_checked_first(closes, monkeypatch):
    async_to_sync(db_call(raw_connection))()
    monkeypatch.setattr(db, "IDLE_CHECK_SECONDS", 0.0)
    monkeypatch.setattr(type(connections["default"]), "is_usable", lambda self: False)
    async_to_sync(db_call(raw_connection))()
    assert closes == ["default"]
