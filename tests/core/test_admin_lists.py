"""Big admin lists: counted from statistics when unfiltered, capped when searched; phone terms."""

import pytest
from django.db import connection

from conversations.models import Contact, Message
from core.admin_lists import (
    CappedCountPaginator,
    EstimatedCountPaginator,
    phone_search_digits,
    table_row_estimate,
)
from tests.factories import ContactFactory, MessageFactory


@pytest.fixture
def leads(db):
    ContactFactory.create_batch(2)
    ContactFactory(status=Contact.Status.WON)


def analyze():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@pytest.mark.parametrize(
    ("term", "digits"),
    [("+7 999 123-45-67", "79991234567"), ("8 (999) 1234567", "79991234567"), ("12-34", "")],
)
def test_phone_like_terms_become_digits(term, digits):
    assert phone_search_digits(term) == digits


def test_words_are_not_phone_searches():
    assert phone_search_digits("anna 12345") == ""


def test_big_unfiltered_table_is_counted_from_statistics(leads, monkeypatch):
    analyze()
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 1)
    paginator = EstimatedCountPaginator(Contact.objects.order_by("pk"), 100)

    assert paginator.count == table_row_estimate(Contact)


def test_small_table_is_counted_exactly(leads):
    analyze()
    paginator = EstimatedCountPaginator(Contact.objects.order_by("pk"), 100)

    assert paginator.count == 3


def test_filtered_list_is_counted_exactly(leads, monkeypatch):
    analyze()
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 1)
    paginator = EstimatedCountPaginator(Contact.objects.filter(status="won").order_by("pk"), 100)

    assert paginator.count == 1


def test_message_search_count_stops_at_the_cap(monkeypatch, db):
    MessageFactory.create_batch(5, text="hello")
    monkeypatch.setattr(CappedCountPaginator, "count_cap", 3)
    paginator = CappedCountPaginator(Message.objects.filter(text="hello").order_by("pk"), 2)

    assert paginator.count == 3
