"""The CSV download: the page's numbers in sections, each with its own header row."""

import codecs
import csv
import io

import pytest

from conversations.models import Message
from tests.analytics.seed import conversation, extraction_run, lead, message, moscow
from tests.factories import LLMModelFactory

CSV = "/admin/analytics/csv/"
MARCH = {"date_from": "2025-03-01", "date_to": "2025-03-10"}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def section(table, title):
    """The rows of a section after its title, up to the blank line that ends it."""
    start = table.index([title]) + 1
    end = table.index([], start) if [] in table[start:] else len(table)
    return table[start:end]


def test_csv_is_a_download_named_after_the_period(admin_client, db):
    response = admin_client.get(CSV, MARCH)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="analytics-20250301-20250310.csv"'
    )


def test_csv_starts_with_the_byte_order_mark_excel_needs_for_utf8(admin_client, db, settings):
    settings.LANGUAGE_CODE = "ru"

    content = admin_client.get(CSV, MARCH).content

    assert content.startswith(codecs.BOM_UTF8)
    assert content.decode("utf-8-sig").startswith("Аналитика")


def test_csv_starts_with_the_filters(admin_client, db):
    table = rows(admin_client.get(CSV, {**MARCH, "source": "(direct)"}))

    assert table[:4] == [
        ["Analytics", "From", "2025-03-01"],
        ["", "To", "2025-03-10"],
        ["", "Bot", "All bots"],
        ["", "Source", "(direct)"],
    ]


def test_csv_funnel_has_counts_and_rates(admin_client, funnel_leads):
    table = section(rows(admin_client.get(CSV, MARCH)), "Funnel")

    assert table == [
        ["Stage", "Leads", "From previous stage, %", "From start, %"],
        ["Started", "10", "", ""],
        ["Wrote a question", "7", "70.0", "70.0"],
        ["Shared a contact", "4", "57.1", "40.0"],
        ["Qualified", "2", "50.0", "20.0"],
        ["Won", "1", "50.0", "10.0"],
    ]


def test_csv_funnel_by_period_has_a_row_per_day(admin_client, funnel_leads):
    table = section(rows(admin_client.get(CSV, MARCH)), "Funnel by period")

    assert table[0] == [
        "Period start",
        "Started",
        "Wrote a question",
        "Shared a contact",
        "Qualified",
        "Won",
    ]
    assert len(table) == 11
    assert table[3] == ["2025-03-03", "5", "5", "4", "2", "1"]


def test_csv_funnel_by_source(admin_client, funnel_leads):
    table = section(rows(admin_client.get(CSV, MARCH)), "Funnel by source")

    assert table[1:] == [
        ["ads", "5", "4", "4", "2", "1"],
        ["(direct)", "4", "3", "0", "0", "0"],
        ["vk", "1", "0", "0", "0", "0"],
    ]


def test_csv_conversations_and_latency(admin_client, db):
    talk = conversation(lead(moscow("2025-03-04")))
    message(talk, role=Message.Role.USER)
    for latency in (100, 300):
        message(talk, role=Message.Role.ASSISTANT, latency_ms=latency)
    table = rows(admin_client.get(CSV, MARCH))

    assert section(table, "Messages per conversation") == [
        ["Conversations", "Average messages", "Median messages"],
        ["1", "3.0", "3.0"],
    ]
    assert section(table, "Reply latency") == [
        ["Replies", "p50, ms", "p90, ms", "p99, ms"],
        ["2", "100", "300", "300"],
    ]


def test_csv_without_replies_leaves_percentiles_empty(admin_client, db):
    table = rows(admin_client.get(CSV, MARCH))

    assert section(table, "Reply latency")[1] == ["0", "", "", ""]
    assert section(table, "Messages per conversation")[1] == ["0", "", ""]


def test_csv_tokens_and_cost_by_model(admin_client, db):
    LLMModelFactory(model_id="gpt-x", input_price_per_million=1, output_price_per_million=4)
    contact = lead(moscow("2025-03-04"))
    message(
        conversation(contact),
        role=Message.Role.ASSISTANT,
        model_name="gpt-x",
        prompt_tokens=3000,
        completion_tokens=1000,
    )
    extraction_run(
        contact, moscow("2025-03-04"), model_name="old", prompt_tokens=10, completion_tokens=5
    )

    table = section(rows(admin_client.get(CSV, MARCH)), "Tokens and cost by model")

    assert table[0][:3] == ["Model", "In the registry", "Replies: calls"]
    assert table[1:] == [
        ["gpt-x", "yes", "1", "3000", "1000", "0.0070", "0", "0", "0", "0.0000", "4000", "0.0070"],
        ["old", "no", "0", "0", "0", "0.0000", "1", "10", "5", "0.0000", "15", "0.0000"],
        ["Total", "", "1", "3000", "1000", "0.0070", "1", "10", "5", "0.0000", "4015", "0.0070"],
    ]


@pytest.mark.parametrize("source", ["=HYPERLINK(1)", " =1+1", "-2+3", "@SUM(1+1)"])
def test_csv_defuses_a_source_that_looks_like_a_formula(admin_client, db, source):
    lead(moscow("2025-03-04"), source=source)

    table = section(rows(admin_client.get(CSV, MARCH)), "Funnel by source")

    assert table[1][0] == "'" + source


def test_page_links_to_the_csv_with_the_same_filters(admin_client, db):
    content = admin_client.get("/admin/analytics/", {**MARCH, "source": "ads"}).content.decode()

    assert (
        'href="/admin/analytics/csv/?date_from=2025-03-01&amp;date_to=2025-03-10&amp;source=ads"'
        in content
    )
