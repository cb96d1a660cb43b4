"""The page follows what happens to a lead after it came: later stages, a new source, deletes."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import CountedLead, DailyLeads
from analytics.rollup import rollup_rebuild
from analytics.selectors import (
    analytics_report,
    conversation_stats,
    funnel,
    latencies,
    llm_costs,
    reply_latency,
)
from conversations import services
from conversations.models import Contact, Conversation, Message
from discovery.services import lead_qualify
from tests.analytics.conftest import PERIOD
from tests.analytics.seed import clock_at, conversation, extraction_run, lead, message, moscow
from tests.factories import ContactFactory, MessageFactory

DAY = moscow("2025-03-03")
FIVE_DAYS_LATER = moscow("2025-03-08")


def counts(stages):
    return [stage.count for stage in stages]


def cohort_of(day: date, **filters):
    rows = funnel(date_from=day, date_to=day, **filters).by_period
    return rows[0].counts


@pytest.fixture
def asker(db):
    """A lead who came on DAY, asked a question and left a phone; the assistant answered."""
    contact = lead(DAY, phone="+79990000001")
    talk = conversation(contact)
    message(talk, text="How much is an audit?")
    message(
        talk,
        role=Message.Role.ASSISTANT,
        model_name="gpt-x",
        prompt_tokens=100,
        completion_tokens=10,
        latency_ms=700,
    )
    return contact


def test_a_lead_qualified_days_later_moves_up_in_the_cohort_of_the_day_it_came(asker):
    with clock_at(FIVE_DAYS_LATER):
        lead_qualify(contact_id=asker.pk)

    assert cohort_of(DAY.date()) == [1, 1, 1, 1, 0]
    assert cohort_of(FIVE_DAYS_LATER.date()) == [0, 0, 0, 0, 0]


def test_a_lead_won_in_the_admin_list_counts_as_won(admin_client, asker):
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(asker.pk),
        "form-0-status": Contact.Status.WON,
        "_save": "Save",
    }

    response = admin_client.post("/admin/conversations/contact/", data)

    assert response.status_code == 302
    assert cohort_of(DAY.date()) == [1, 1, 1, 1, 1]


def test_a_first_question_moves_the_lead_past_started(db):
    contact = lead(DAY)
    talk = conversation(contact)
    message(talk, text="/start", content_type=Message.ContentType.COMMAND)
    assert cohort_of(DAY.date()) == [1, 0, 0, 0, 0]

    message(talk, text="How much is an audit?")

    assert cohort_of(DAY.date()) == [1, 1, 0, 0, 0]


def test_a_voice_message_is_a_question_too(db):
    contact = lead(DAY)
    talk = conversation(contact)
    message(talk, text="", content_type=Message.ContentType.STICKER)
    assert cohort_of(DAY.date()) == [1, 0, 0, 0, 0]

    message(talk, text="", content_type=Message.ContentType.VOICE)

    assert cohort_of(DAY.date()) == [1, 1, 0, 0, 0]
    rollup_rebuild()
    assert cohort_of(DAY.date()) == [1, 1, 0, 0, 0]


def test_a_source_set_later_takes_the_leads_numbers_along(asker):
    extraction_run(asker, DAY, model_name="gpt-x", prompt_tokens=50)

    with clock_at(FIVE_DAYS_LATER):
        services.contact_set_source(contact_id=asker.pk, source="ads")

    assert counts(funnel(**PERIOD, source="ads").total) == [1, 1, 1, 0, 0]
    assert conversation_stats(**PERIOD, source="ads").conversations == 1
    ads = llm_costs(**PERIOD, source="ads").models[0]
    assert (ads.replies.prompt_tokens, ads.extraction.prompt_tokens) == (100, 50)
    assert reply_latency(**PERIOD, source="ads").replies == 1
    direct = analytics_report(**PERIOD, source="")
    assert counts(direct.funnel.total) == [0, 0, 0, 0, 0]
    assert (direct.conversations.conversations, direct.costs.models) == (0, [])


def test_deleting_a_lead_takes_away_everything_it_counted(asker):
    extraction_run(asker, DAY, model_name="gpt-x", prompt_tokens=50)

    Contact.objects.get(pk=asker.pk).delete()

    report = analytics_report(**PERIOD)
    assert counts(report.funnel.total) == [0, 0, 0, 0, 0]
    assert (report.conversations.conversations, report.latency.replies) == (0, 0)
    assert report.costs.models == []


def test_deleting_the_only_question_moves_the_lead_back_to_started(asker):
    Message.objects.get(contact=asker, role=Message.Role.USER).delete()

    assert cohort_of(DAY.date()) == [1, 0, 0, 0, 0]
    assert conversation_stats(**PERIOD).average_messages == 1


def test_deleting_a_reply_takes_away_its_tokens_and_latency(asker):
    Message.objects.filter(contact=asker, role=Message.Role.ASSISTANT).delete()

    assert llm_costs(**PERIOD).models == []
    assert reply_latency(**PERIOD).replies == 0


def test_deleting_a_conversation_takes_away_its_messages(asker):
    Conversation.objects.get(contact=asker).delete()

    report = analytics_report(**PERIOD)
    assert counts(report.funnel.total) == [1, 0, 0, 0, 0]
    assert (report.conversations.conversations, report.latency.replies) == (0, 0)
    assert report.costs.models == []


def test_deleting_an_extraction_run_takes_away_its_tokens(asker):
    extraction_run(asker, DAY, model_name="gpt-y", prompt_tokens=50).delete()

    assert [model.model_name for model in llm_costs(**PERIOD).models] == ["gpt-x"]


def test_rows_written_without_signals_are_counted_by_a_rebuild(db):
    contact = ContactFactory()
    Contact.objects.filter(pk=contact.pk).update(created_at=DAY)
    talk = Conversation.objects.bulk_create([Conversation(contact=contact)])[0]
    Message.objects.bulk_create([Message(conversation=talk, contact=contact, role="user")])
    Conversation.objects.filter(pk=talk.pk).update(started_at=DAY)
    assert cohort_of(DAY.date()) == [0, 0, 0, 0, 0]

    rollup_rebuild()

    assert cohort_of(DAY.date()) == [1, 1, 0, 0, 0]
    assert conversation_stats(**PERIOD).conversations == 1


def test_messages_of_a_lead_stored_without_signals_are_counted_from_then_on(db):
    contact = Contact.objects.bulk_create([Contact(external_id="7", channel="telegram")])[0]
    talk = Conversation.objects.bulk_create([Conversation(contact=contact)])[0]

    MessageFactory(conversation=talk, text="Hello?")

    today = talk.started_at.astimezone(ZoneInfo("Europe/Moscow")).date()
    assert cohort_of(today) == [1, 1, 0, 0, 0]
    assert conversation_stats(date_from=today, date_to=today).median_messages == 1


def test_a_year_is_read_from_the_rollup_without_touching_leads_or_messages(asker, monkeypatch):
    monkeypatch.setattr(latencies, "EXACT_LATENCY_REPLIES", 0)

    with CaptureQueriesContext(connection) as queries:
        report = analytics_report(date_from=date(2024, 6, 1), date_to=date(2025, 5, 31))

    assert report.latency.replies == 1
    read = " ".join(query["sql"] for query in queries.captured_queries)
    for table in ("conversations_contact", "conversations_message", "discovery_extractionrun"):
        assert table not in read


def test_a_rollup_row_reads_as_its_values(asker):
    row = DailyLeads.objects.get(leads=1)

    assert str(row) == f"{row.pk} · 2025-03-03 · 0 ·  · 3 · 1"


def test_what_a_lead_is_counted_as_reads_with_the_lead_first(asker):
    assert str(CountedLead.objects.get(pk=asker.pk)) == f"{asker.pk} · 2025-03-03 · 0 ·  · 3"


def test_a_message_or_run_saved_again_is_not_counted_twice(asker):
    for stored in (
        *Message.objects.filter(contact=asker),
        extraction_run(asker, DAY, model_name="gpt-x"),
    ):
        stored.save()

    report = analytics_report(**PERIOD)
    assert report.conversations.average_messages == 2
    assert (report.costs.replies.calls, report.costs.extraction.calls) == (1, 1)


def test_renaming_a_lead_leaves_the_rollup_alone(asker):
    with CaptureQueriesContext(connection) as queries:
        services.contact_touch(
            channel=asker.channel, external_id=asker.external_id, first_name="Vera"
        )

    assert Contact.objects.get(pk=asker.pk).first_name == "Vera"
    assert not [query for query in queries.captured_queries if "analytics_" in query["sql"]]
