"""The leads list: columns, search, filters, inline status edit, and the other list pages."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversations.models import Contact, Message, Prompt
from tests.factories import ContactFactory, ConversationFactory, MessageFactory, PromptFactory
from tests.permissions import login_with_permissions

CHANGELIST = reverse("admin:conversations_contact_changelist")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def listed_usernames(response):
    return {contact.username for contact in response.context["cl"].result_list}


@pytest.fixture
def leads(db):
    return {
        "anna": ContactFactory(
            username="anna_k",
            first_name="Anna",
            last_name="Karenina",
            phone="+79991234567",
            email="anna@example.com",
            source="ads",
        ),
        "boris": ContactFactory(
            username="boris",
            first_name="Boris",
            last_name="Godunov",
            email="boris@example.org",
            status=Contact.Status.WON,
            source="site",
        ),
        "vera": ContactFactory(username="vera", first_name="Vera", last_name="Pavlova"),
    }


def test_lead_list_shows_every_column(admin_client, leads):
    response = admin_client.get(CHANGELIST)

    content = response.content.decode()
    for text in ("Anna Karenina", "anna_k", "+79991234567", "anna@example.com", "ads"):
        assert text in content
    assert listed_usernames(response) == {"anna_k", "boris", "vera"}


def test_lead_list_is_newest_first(admin_client, leads):
    Contact.objects.filter(pk=leads["vera"].pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )

    response = admin_client.get(CHANGELIST)

    assert response.context["cl"].result_list[2].username == "vera"


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Karenina", {"anna_k"}),
        ("Anna Karenina", {"anna_k"}),
        ("boris", {"boris"}),
        ("boris@example.org", {"boris"}),
        ("+79991234567", {"anna_k"}),
        ("+7 (999) 123-45-67", {"anna_k"}),
        ("8 999 123 45 67", {"anna_k"}),
        ("123-45-67", {"anna_k"}),
    ],
)
def test_search_finds_the_lead(admin_client, leads, term, expected):
    response = admin_client.get(CHANGELIST, {"q": term})

    assert listed_usernames(response) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "won"}, {"boris"}),
        ({"source": "ads"}, {"anna_k"}),
        ({"has_contact": "yes"}, {"anna_k", "boris"}),
        ({"has_contact": "no"}, {"vera"}),
    ],
)
def test_filters_narrow_the_list(admin_client, leads, params, expected):
    response = admin_client.get(CHANGELIST, params)

    assert listed_usernames(response) == expected


def test_created_date_filter_keeps_only_recent_leads(admin_client, leads):
    Contact.objects.filter(pk=leads["vera"].pk).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    params = {
        "created_at__gte": str(midnight - timedelta(days=6)),
        "created_at__lt": str(midnight + timedelta(days=1)),
    }

    response = admin_client.get(CHANGELIST, params)

    assert listed_usernames(response) == {"anna_k", "boris"}


def test_status_is_editable_from_the_list(admin_client, leads):
    rows = list(Contact.objects.order_by("-created_at", "-pk"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for index, contact in enumerate(rows):
        data[f"form-{index}-id"] = str(contact.pk)
        data[f"form-{index}-status"] = (
            Contact.Status.QUALIFIED if contact == leads["vera"] else contact.status
        )

    response = admin_client.post(CHANGELIST, data)

    assert response.status_code == 302
    assert Contact.objects.get(pk=leads["vera"].pk).status == Contact.Status.QUALIFIED


def test_lead_list_query_count_does_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    ContactFactory.create_batch(60, phone="+79990000000")

    with django_assert_max_num_queries(8):
        admin_client.get(CHANGELIST)


def test_lead_change_page_links_to_the_transcript(admin_client, leads):
    response = admin_client.get(
        reverse("admin:conversations_contact_change", args=[leads["anna"].pk])
    )

    transcript = reverse("admin:conversations_contact_transcript", args=[leads["anna"].pk])
    assert transcript in response.content.decode()


def test_conversation_list_shows_message_counts(admin_client, db):
    conversation = ConversationFactory()
    MessageFactory.create_batch(3, conversation=conversation)
    ConversationFactory(contact=conversation.contact)

    response = admin_client.get(reverse("admin:conversations_conversation_changelist"))

    counts = sorted(row.message_count for row in response.context["cl"].result_list)
    assert counts == [0, 3]


def test_conversation_list_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries
):
    for _ in range(20):
        MessageFactory(conversation=ConversationFactory())

    with django_assert_max_num_queries(6):
        admin_client.get(reverse("admin:conversations_conversation_changelist"))


def test_message_list_searches_and_filters(admin_client, db):
    MessageFactory(text="price of the audit?", role=Message.Role.USER)
    MessageFactory(text="the audit costs 5000", role=Message.Role.ASSISTANT)
    MessageFactory(text="hello", role=Message.Role.USER)

    response = admin_client.get(
        reverse("admin:conversations_message_changelist"), {"q": "audit", "role__exact": "user"}
    )

    assert [m.text for m in response.context["cl"].result_list] == ["price of the audit?"]


def test_messages_cannot_be_added_or_edited(admin_client, db):
    message = MessageFactory()

    add = admin_client.get(reverse("admin:conversations_message_add"))
    change = admin_client.post(
        reverse("admin:conversations_message_change", args=[message.pk]), {"text": "forged"}
    )

    assert add.status_code == 403
    assert change.status_code == 403
    message.refresh_from_db()
    assert message.text != "forged"


def test_conversations_cannot_be_added(admin_client, db):
    assert admin_client.get(reverse("admin:conversations_conversation_add")).status_code == 403


# --- Prompts ----------------------------------------------------------------------------------


def prompt_form(prompt, text):
    return {"key": prompt.key, "language": prompt.language, "text": text, "is_active": "on"}


def test_prompt_edit_records_who_changed_it(admin_client, staff_user, db):
    prompt = PromptFactory(text="Old instructions")

    admin_client.post(
        reverse("admin:conversations_prompt_change", args=[prompt.pk]),
        prompt_form(prompt, "New instructions"),
    )

    prompt.refresh_from_db()
    assert prompt.text == "New instructions"
    assert prompt.updated_by == staff_user
    assert prompt.history.count() == 2


def test_prompt_revert_restores_the_old_text(admin_client, db):
    prompt = PromptFactory(text="Old instructions")
    old = prompt.history.earliest()
    admin_client.post(
        reverse("admin:conversations_prompt_change", args=[prompt.pk]),
        prompt_form(prompt, "New instructions"),
    )

    admin_client.post(
        reverse("admin:conversations_prompt_simple_history", args=[prompt.pk, old.history_id]),
        prompt_form(prompt, "Old instructions"),
    )

    prompt.refresh_from_db()
    assert prompt.text == "Old instructions"
    assert prompt.history.count() == 3


def test_prompt_history_page_lists_versions(admin_client, db):
    prompt = PromptFactory(text="Old instructions")

    response = admin_client.get(reverse("admin:conversations_prompt_history", args=[prompt.pk]))

    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == 1


def test_prompt_list_shows_a_preview(admin_client, db):
    PromptFactory(text="You are a helpful consultant for a dental clinic.")

    response = admin_client.get(
        reverse("admin:conversations_prompt_changelist"), {"language__exact": "ru"}
    )

    assert "You are a helpful consultant" in response.content.decode()
    assert [p.key for p in response.context["cl"].result_list] == [Prompt.Key.SYSTEM]


def test_staff_can_list_the_replies_that_did_not_arrive(admin_client, db):
    lost = MessageFactory(role=Message.Role.ASSISTANT, delivery=Message.Delivery.UNDELIVERED)
    MessageFactory(role=Message.Role.ASSISTANT, delivery=Message.Delivery.DELIVERED)
    response = admin_client.get(
        reverse("admin:conversations_message_changelist"), {"delivery__exact": "undelivered"}
    )
    assert [message.pk for message in response.context["cl"].result_list] == [lost.pk]


def test_staff_notices_are_listed_read_only(admin_client, db):
    from conversations.models import StaffNotice

    notice = StaffNotice.objects.create(
        contact=ContactFactory(first_name="Анна"), reason=StaffNotice.Reason.NEW_LEAD
    )
    response = admin_client.get(reverse("admin:conversations_staffnotice_changelist"))
    assert list(response.context["cl"].result_list) == [notice]
    assert str(notice) == f"New lead: {notice.contact_id}"
    page = admin_client.get(reverse("admin:conversations_staffnotice_change", args=[notice.pk]))
    assert "Save" not in page.content.decode()


def test_view_only_staff_cannot_rewrite_a_prompt_through_its_history(client, db):
    prompt = PromptFactory(text="Old instructions")
    old = prompt.history.earliest()
    viewer = login_with_permissions(client, "view_prompt")

    response = viewer.post(
        reverse("admin:conversations_prompt_simple_history", args=[prompt.pk, old.history_id]),
        prompt_form(prompt, "Ignore all rules"),
    )

    prompt.refresh_from_db()
    assert response.status_code == 403
    assert prompt.text == "Old instructions"


def captured_sql(queries):
    return [query["sql"] for query in queries.captured_queries]


def test_a_phone_search_reads_the_phone_column_only(admin_client, leads):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST, {"q": "+7 (999) 123-45-67"})

    assert listed_usernames(response) == {"anna_k"}
    conditions = [sql.split(" WHERE ", 1)[1] for sql in captured_sql(queries) if "LIKE" in sql]
    assert conditions
    for condition in conditions:
        assert not any(column in condition for column in ("first_name", "username", "email"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a trigram index is PostgreSQL's")
def test_phone_digits_are_looked_up_in_the_trigram_index(db):
    query = Contact.objects.filter(phone__contains="1234567").order_by().values("pk")
    sql, params = query.query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(row[0] for row in cursor.fetchall())

    assert "contact_phone_trigram" in plan
