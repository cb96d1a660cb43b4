"""The lead export carries the lead card (a column per scenario field) and the interests."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from import_export.formats.base_formats import CSV

from catalog.models import Service
from conversations.models import Contact
from conversations.resources import with_lead_details
from core.spreadsheets import UTF8_BOM
from discovery.resources import LeadResource
from tests.conversations.test_admin_export import (
    EXPORT,
    FIELDS,
    HEADERS,
    csv_rows,
    export_form,
    xlsx_sheet,
)
from tests.factories import (
    ContactFactory,
    LeadFieldValueFactory,
    ScenarioFactory,
    ScenarioFieldFactory,
    ServiceFactory,
    add_interests,
)

CARD_FIELDS = ["leadresource_card_task", "leadresource_card_budget", "leadresource_card_city"]
ALL_FIELDS = [*FIELDS, *CARD_FIELDS]


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def scenarios(db):
    """Two scenarios that both ask for the budget."""
    consultation = ScenarioFactory(position=0)
    ScenarioFieldFactory(
        scenario=consultation, key="task", position=0, labels={"en": "Task", "ru": "Задача"}
    )
    ScenarioFieldFactory(
        scenario=consultation, key="budget", position=1, labels={"en": "Budget", "ru": "Бюджет"}
    )
    ads = ScenarioFactory(position=1)
    ScenarioFieldFactory(scenario=ads, key="budget", position=0, labels={"en": "Ads budget"})
    ScenarioFieldFactory(scenario=ads, key="city", position=1, labels={"en": "City"})


def card_value(contact, key, display, *, current=True):
    LeadFieldValueFactory(contact=contact, key=key, display=display, is_current=current)


@pytest.fixture
def anna(scenarios):
    anna = ContactFactory(username="anna")
    card_value(anna, "budget", "10 000 RUB", current=False)
    card_value(anna, "budget", "50 000 RUB")
    card_value(anna, "task", "A logo for a bakery")
    card_value(anna, "city", "=cmd|' /C calc'!A0")
    add_interests(
        anna,
        ServiceFactory(title="Massage", position=2),
        ServiceFactory(title="Consulting", position=1),
    )
    return anna


def row_of(rows, username):
    return next(row for row in rows if row[2] == username)


def test_csv_has_the_interests_and_a_column_per_card_field(admin_client, anna):
    ContactFactory(username="boris")

    rows = csv_rows(admin_client.post(EXPORT, export_form("0", ALL_FIELDS)))

    assert rows[0] == [*HEADERS, "Card: Task", "Card: Budget", "Card: City"]
    assert row_of(rows, "anna")[len(FIELDS) - 1 :] == [
        "Consulting, Massage",
        "A logo for a bakery",
        "50 000 RUB",
        "'=cmd|' /C calc'!A0",
    ]
    assert row_of(rows, "boris")[len(FIELDS) - 1 :] == ["", "", "", ""]


def test_xlsx_has_the_interests_and_a_column_per_card_field(admin_client, anna):
    rows = list(
        xlsx_sheet(admin_client.post(EXPORT, export_form("1", ALL_FIELDS))).iter_rows(
            values_only=True
        )
    )

    assert list(rows[0]) == [*HEADERS, "Card: Task", "Card: Budget", "Card: City"]
    assert list(rows[1][len(FIELDS) - 1 :]) == [
        "Consulting, Massage",
        "A logo for a bakery",
        "50 000 RUB",
        "'=cmd|' /C calc'!A0",
    ]


def test_streamed_csv_matches_import_export_output_with_the_card(admin_client, anna):
    ContactFactory(username="boris")
    expected = CSV().export_data(LeadResource().export(Contact.objects.all()))

    response = admin_client.post(EXPORT, export_form("0", ALL_FIELDS))

    assert b"".join(response.streaming_content).decode() == UTF8_BOM + expected


def test_card_columns_are_labelled_in_the_admin_language(admin_client, anna, settings):
    settings.LANGUAGE_CODE = "ru"
    fields = ["leadresource_interests", "leadresource_card_budget"]

    rows = csv_rows(admin_client.post(EXPORT, export_form("0", fields)))

    assert rows == [
        ["Интересуется услугами", "Карточка: Бюджет"],
        ["Consulting, Massage", "50 000 RUB"],
    ]


def test_a_ticked_card_column_alone_is_exported(admin_client, anna):
    rows = csv_rows(admin_client.post(EXPORT, export_form("0", ["leadresource_card_city"])))

    assert rows == [["Card: City"], ["'=cmd|' /C calc'!A0"]]


def test_the_export_form_offers_the_card_columns_and_the_interests(admin_client, scenarios):
    page = admin_client.get(EXPORT).content.decode()

    for name, label in [
        ("leadresource_interests", "Interested in"),
        ("leadresource_card_task", "Card: Task"),
        ("leadresource_card_budget", "Card: Budget"),
        ("leadresource_card_city", "Card: City"),
    ]:
        assert f'<label for="id_{name}">{label}</label>' in page


@pytest.mark.parametrize("file_format", ["0", "1"])
def test_export_queries_do_not_grow_with_the_number_of_leads(admin_client, anna, file_format):
    def queries_for_export():
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.post(EXPORT, export_form(file_format, ALL_FIELDS))
            if response.streaming:
                b"".join(response.streaming_content)
        return len(queries)

    one_lead = queries_for_export()
    for contact in ContactFactory.create_batch(30):
        card_value(contact, "task", "More work")
        add_interests(contact, *Service.objects.filter(interests__contact=anna))

    assert queries_for_export() == one_lead


def test_a_lead_created_while_exporting_does_not_shift_the_cards_of_others(anna):
    newer = ContactFactory()
    card_value(newer, "task", "Newer task")
    rows_read_before_it = [anna.pk]

    details = LeadResource().lead_details(Contact.objects.all())

    rows = with_lead_details(details, rows_read_before_it, contact_id=int)

    assert list(rows) == [
        (
            anna.pk,
            {
                "card_budget": "50 000 RUB",
                "card_task": "A logo for a bakery",
                "card_city": "=cmd|' /C calc'!A0",
                "interests": "Consulting, Massage",
            },
        )
    ]
