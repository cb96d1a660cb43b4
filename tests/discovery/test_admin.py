"""Scenarios edited in admin without code, the read-only lists, and what the lead's page shows
of discovery: the lead card panel, the scenario and the interests."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from discovery.models import ExtractionRun, LeadDiscovery, LeadFieldValue, Scenario, ScenarioField
from discovery.selectors import contact_interests
from tests.admin_forms import change_form_data
from tests.factories import (
    ContactFactory,
    MessageFactory,
    ScenarioFactory,
    ScenarioFieldFactory,
    ServiceFactory,
    add_interests,
)
from tests.permissions import login_with_permissions

pytestmark = pytest.mark.django_db

ADD = reverse("admin:discovery_scenario_add")
CHANGELIST = reverse("admin:discovery_scenario_changelist")
VALUES = reverse("admin:discovery_leadfieldvalue_changelist")
RUNS = reverse("admin:discovery_extractionrun_changelist")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def scenario_data(**overrides):
    """A valid add-form post: a default scenario with no fields."""
    data = {
        "name": "Consultation",
        "slug": "consultation",
        "applies_to": "default",
        "source": "",
        "service": "",
        "is_active": "on",
        "position": "0",
        "guidance_ru": "Сначала ответь на вопрос.",
        "guidance_en": "Answer the question first.",
        "fields-TOTAL_FORMS": "0",
        "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
    }
    return {**data, **overrides}


def field_data(index=0, **overrides):
    data = {
        "key": "budget",
        "field_type": "money",
        "label_ru": "Бюджет",
        "label_en": "Budget",
        "hint_ru": "",
        "hint_en": "Ask for the currency too.",
        "choices": "",
        "required": "on",
        "position": "1",
    }
    return {f"fields-{index}-{name}": value for name, value in {**data, **overrides}.items()}


def with_fields(*fields):
    data = scenario_data(**{"fields-TOTAL_FORMS": str(len(fields))})
    for field in fields:
        data.update(field)
    return data


def errors(response):
    """Every error message on the page: the form's and its inline's."""
    forms = [
        response.context["adminform"].form.errors,
        *(
            form
            for inline in response.context["inline_admin_formsets"]
            for form in inline.formset.errors
        ),
    ]
    return [message for form in forms for messages in form.values() for message in messages]


def test_guidance_boxes_per_language_are_saved_as_one_map(admin_client):
    response = admin_client.post(ADD, scenario_data())

    assert response.status_code == 302
    assert Scenario.objects.get().guidance == {
        "ru": "Сначала ответь на вопрос.",
        "en": "Answer the question first.",
    }


def test_an_empty_language_box_leaves_that_language_out(admin_client):
    admin_client.post(ADD, scenario_data(guidance_ru="  "))

    assert Scenario.objects.get().guidance == {"en": "Answer the question first."}


def test_the_change_form_shows_each_language_in_its_box(admin_client):
    scenario = ScenarioFactory(guidance={"ru": "Текст", "en": "Text"})

    response = admin_client.get(reverse("admin:discovery_scenario_change", args=[scenario.pk]))

    form = response.context["adminform"].form
    assert (form["guidance_ru"].value(), form["guidance_en"].value()) == ("Текст", "Text")
    assert "Guidance (English)" in response.content.decode()


def test_a_language_the_site_no_longer_offers_keeps_its_text(admin_client):
    scenario = ScenarioFactory(guidance={"de": "Alt", "en": "Old"})
    url = reverse("admin:discovery_scenario_change", args=[scenario.pk])

    admin_client.post(url, scenario_data(slug=scenario.slug, name=scenario.name))

    scenario.refresh_from_db()
    assert scenario.guidance == {
        "de": "Alt",
        "ru": "Сначала ответь на вопрос.",
        "en": "Answer the question first.",
    }


def test_field_labels_and_hints_per_language_are_saved_as_maps(admin_client):
    admin_client.post(ADD, with_fields(field_data()))

    field = ScenarioField.objects.get()
    assert (field.key, field.field_type, field.required) == ("budget", "money", True)
    assert field.labels == {"ru": "Бюджет", "en": "Budget"}
    assert field.hints == {"en": "Ask for the currency too."}


def test_the_field_inline_shows_labels_per_language(admin_client):
    field = ScenarioFieldFactory(labels={"ru": "Город", "en": "City"}, hints={"ru": "Где вы?"})

    response = admin_client.get(
        reverse("admin:discovery_scenario_change", args=[field.scenario.pk])
    )

    form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert (form["label_ru"].value(), form["label_en"].value()) == ("Город", "City")
    assert (form["hint_ru"].value(), form["hint_en"].value()) == ("Где вы?", "")


def test_a_choice_field_with_one_option_is_refused(admin_client):
    response = admin_client.post(
        ADD, with_fields(field_data(field_type="choice", choices="Morning\n\n"))
    )

    assert errors(response) == ["A choice from a list needs at least two options, one per line."]
    assert not Scenario.objects.exists()


def test_a_choice_field_with_two_options_is_saved(admin_client):
    admin_client.post(ADD, with_fields(field_data(field_type="choice", choices="Morning\nEvening")))

    assert ScenarioField.objects.get().choice_list() == ["Morning", "Evening"]


def test_a_source_scenario_needs_its_source(admin_client):
    response = admin_client.post(ADD, scenario_data(applies_to="source"))

    assert errors(response) == ["Enter the deep-link source this scenario is for, e.g. ads_vk."]


def test_a_service_scenario_needs_its_service(admin_client):
    response = admin_client.post(ADD, scenario_data(applies_to="service"))

    assert errors(response) == ["Choose the service this scenario is for."]


def test_a_service_scenario_is_saved_with_its_service_only(admin_client):
    service = ServiceFactory()

    admin_client.post(
        ADD, scenario_data(applies_to="service", service=str(service.pk), source="ads_vk")
    )

    scenario = Scenario.objects.get()
    assert (scenario.service, scenario.source) == (service, "")


def test_a_default_scenario_drops_a_leftover_service(admin_client):
    admin_client.post(ADD, scenario_data(service=str(ServiceFactory().pk)))

    assert Scenario.objects.get().service is None


def test_a_second_active_default_scenario_is_refused(admin_client):
    ScenarioFactory(name="Main")

    response = admin_client.post(ADD, scenario_data())

    assert errors(response) == [
        "Only one default scenario can be active, and “Main” already is. "
        "Deactivate it first, or save this one as inactive."
    ]


def test_an_inactive_second_default_scenario_is_saved(admin_client):
    ScenarioFactory(name="Main")

    admin_client.post(ADD, scenario_data(is_active=""))

    assert Scenario.objects.filter(is_active=False).count() == 1


def test_the_active_default_can_be_edited(admin_client):
    scenario = ScenarioFactory()
    url = reverse("admin:discovery_scenario_change", args=[scenario.pk])

    response = admin_client.post(url, scenario_data(slug=scenario.slug, name="Renamed"))

    assert response.status_code == 302
    assert Scenario.objects.get().name == "Renamed"


def test_the_list_shows_when_each_scenario_applies_and_its_field_count(admin_client):
    service = ServiceFactory(title="Audit")
    ScenarioFieldFactory.create_batch(2, scenario=ScenarioFactory(name="Main"))
    ScenarioFactory(applies_to=Scenario.AppliesTo.SERVICE, service=service)
    ScenarioFactory(applies_to=Scenario.AppliesTo.SOURCE, source="ads_vk")

    response = admin_client.get(CHANGELIST)

    changelist = response.context["cl"]
    rows = [
        (changelist.model_admin.applies(row), row.field_count)
        for row in changelist.result_list.order_by("pk")
    ]
    assert rows == [
        ("By default", 2),
        ("Interest in a service: Audit", 0),
        ("Deep-link source: ads_vk", 0),
    ]


def list_post(*scenarios_active):
    data = {
        "form-TOTAL_FORMS": str(len(scenarios_active)),
        "form-INITIAL_FORMS": str(len(scenarios_active)),
        "_save": "Save",
    }
    for index, (scenario, active) in enumerate(scenarios_active):
        data[f"form-{index}-id"] = str(scenario.pk)
        if active:
            data[f"form-{index}-is_active"] = "on"
    return data


def test_two_defaults_switched_on_from_the_list_are_refused(admin_client):
    first = ScenarioFactory(name="First", is_active=False, position=1)
    second = ScenarioFactory(name="Second", is_active=False, position=2)

    response = admin_client.post(CHANGELIST, list_post((first, True), (second, True)))

    assert list(response.context["cl"].formset.non_form_errors()) == [
        "Only one default scenario can be active; these would be: “First”, “Second”."
    ]
    assert not Scenario.objects.filter(is_active=True).exists()


def test_a_default_switched_on_from_the_list_meets_the_active_one_elsewhere(admin_client):
    ScenarioFactory(name="Running")
    off = ScenarioFactory(name="Spare", is_active=False)

    response = admin_client.post(f"{CHANGELIST}?q=Spare", list_post((off, True)))

    assert list(response.context["cl"].formset.non_form_errors()) == [
        "Only one default scenario can be active; these would be: “Spare”, “Running”."
    ]


def test_swapping_the_active_default_from_the_list_is_allowed(admin_client):
    old = ScenarioFactory(position=1)
    new = ScenarioFactory(is_active=False, position=2)

    response = admin_client.post(CHANGELIST, list_post((old, False), (new, True)))

    assert response.status_code == 302
    assert Scenario.objects.get(is_active=True) == new


# --- Lead card values and extraction runs ----------------------------------------------------


def test_lead_card_values_are_listed_with_their_lead(admin_client):
    contact = ContactFactory(first_name="Olga", last_name="Ivanova")
    LeadFieldValue.objects.create(contact=contact, key="city", value="Kazan", display="Kazan")

    content = admin_client.get(VALUES).content.decode()

    assert "Olga Ivanova" in content
    assert "Kazan" in content


def test_lead_card_values_filter_by_the_scenario_field_keys(admin_client):
    ScenarioFieldFactory(key="city")
    contact = ContactFactory()
    LeadFieldValue.objects.create(contact=contact, key="city", value="Kazan", display="Kazan")
    LeadFieldValue.objects.create(contact=contact, key="name", value="Olga", display="Olga")

    response = admin_client.get(VALUES, {"key": "city"})

    assert [row.display for row in response.context["cl"].result_list] == ["Kazan"]
    assert "?key=city" in response.content.decode()


def test_lead_card_values_are_found_by_the_leads_phone_in_any_format(admin_client):
    found = ContactFactory(phone="+79991234567")
    LeadFieldValue.objects.create(contact=found, key="city", value="Kazan", display="Kazan")
    LeadFieldValue.objects.create(
        contact=ContactFactory(phone="+79990000000"), key="city", value="Omsk", display="Omsk"
    )

    response = admin_client.get(VALUES, {"q": "8 (999) 123-45-67"})

    assert [row.display for row in response.context["cl"].result_list] == ["Kazan"]


def test_lead_card_values_are_read_only(admin_client):
    value = LeadFieldValue.objects.create(
        contact=ContactFactory(), key="city", value="Kazan", display="Kazan"
    )

    add = admin_client.get(reverse("admin:discovery_leadfieldvalue_add"))
    change = admin_client.post(
        reverse("admin:discovery_leadfieldvalue_change", args=[value.pk]), {"display": "Omsk"}
    )
    delete = admin_client.post(
        reverse("admin:discovery_leadfieldvalue_delete", args=[value.pk]), {"post": "yes"}
    )

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert LeadFieldValue.objects.get().display == "Kazan"


@pytest.fixture
def runs():
    contact = ContactFactory()
    ExtractionRun.objects.create(
        contact=contact, model_name="gpt-4o-mini", status="ok", prompt_tokens=120, latency_ms=800
    )
    ExtractionRun.objects.create(
        contact=contact, model_name="other", status="failed", error="Timed out " * 20
    )


def test_extraction_runs_filter_by_model(admin_client, runs):
    response = admin_client.get(RUNS, {"model": "gpt-4o-mini"})

    assert [run.status for run in response.context["cl"].result_list] == ["ok"]


def test_the_model_filter_offers_each_model_that_made_runs_once(admin_client, runs):
    ExtractionRun.objects.create(contact=ContactFactory(), model_name="other", status="ok")

    response = admin_client.get(RUNS)

    (model_filter,) = [f for f in response.context["cl"].filter_specs if f.title == "model"]
    assert [name for name, _title in model_filter.lookup_choices] == ["gpt-4o-mini", "other"]


def test_extraction_runs_filter_by_status_and_show_a_short_error(admin_client, runs):
    response = admin_client.get(RUNS, {"status__exact": "failed"})

    assert [run.model_name for run in response.context["cl"].result_list] == ["other"]
    assert "Timed out Timed out" in response.content.decode()
    assert "Timed out " * 20 not in response.content.decode()


def test_extraction_runs_list_every_run_without_a_filter(admin_client, runs):
    response = admin_client.get(RUNS)

    assert len(response.context["cl"].result_list) == 2


# --- The lead card on the lead's pages -------------------------------------------------------


@pytest.fixture
def lead():
    """A lead on the default scenario: the name known (changed once), the city still missing."""
    scenario = ScenarioFactory()
    ScenarioFieldFactory(scenario=scenario, key="name", labels={"en": "Name"}, position=1)
    ScenarioFieldFactory(scenario=scenario, key="city", labels={"en": "City"}, position=2)
    contact = ContactFactory(qualified_at=timezone.now())
    message = MessageFactory(contact=contact, conversation__contact=contact)
    start = timezone.now() - timedelta(hours=1)
    for minutes, (display, current) in enumerate((("Ann", False), ("<b>Anna</b>", True))):
        row = LeadFieldValue.objects.create(
            contact=contact,
            key="name",
            value=display,
            display=display,
            is_current=current,
            source_message=message,
        )
        LeadFieldValue.objects.filter(pk=row.pk).update(
            created_at=start + timedelta(minutes=minutes)
        )
    return contact


def change_page(client, contact):
    return client.get(reverse("admin:conversations_contact_change", args=[contact.pk]))


def test_the_lead_page_shows_the_card_with_current_values_and_gaps(admin_client, lead):
    response = change_page(admin_client, lead)

    panel = response.context["lead_card"]
    assert [(entry.label, entry.display) for entry in panel.entries] == [
        ("Name", "<b>Anna</b>"),
        ("City", ""),
    ]
    content = response.content.decode()
    assert "Lead card" in content
    assert "Still to learn: City" in content


def test_the_card_escapes_what_the_person_wrote(admin_client, lead):
    content = change_page(admin_client, lead).content.decode()

    assert "&lt;b&gt;Anna&lt;/b&gt;" in content
    assert "<b>Anna</b>" not in content


def test_the_card_links_each_value_to_its_message(admin_client, lead):
    message = lead.messages.get()

    content = change_page(admin_client, lead).content.decode()

    assert reverse("admin:conversations_message_change", args=[message.pk]) in content


def test_the_card_shows_the_history_of_changes_newest_first(admin_client, lead):
    content = change_page(admin_client, lead).content.decode()

    history = content[content.index("History of changes") :]
    assert '<del>Ann</del> → <span class="new">&lt;b&gt;Anna&lt;/b&gt;</span>' in history
    assert history.index("&lt;b&gt;Anna") < history.rindex('<span class="new">Ann</span>')


def test_the_card_says_when_the_lead_qualified_and_confirmed(admin_client, lead):
    content = change_page(admin_client, lead).content.decode()

    assert "Qualified" in content
    assert "Card not confirmed" in content


def test_the_card_on_a_lead_without_a_scenario_or_values_says_so(admin_client):
    contact = ContactFactory()
    LeadDiscovery.objects.create(contact=contact, card_confirmed_at=timezone.now())

    content = change_page(admin_client, contact).content.decode()

    assert "No active scenario" in content
    assert "Not qualified yet" in content
    assert "Card confirmed" in content
    assert "Nothing to show: no scenario fields and no values." in content


def lead_url(contact):
    return reverse("admin:conversations_contact_change", args=[contact.pk])


def test_staff_who_may_change_leads_set_the_scenario_and_the_interests(client):
    login_with_permissions(client, "view_contact", "change_contact")
    contact = ContactFactory()
    scenario, service = ScenarioFactory(name="Audit"), ServiceFactory(title="Audit")
    data = change_form_data(client.get(lead_url(contact)))
    data["discovery-0-scenario"] = str(scenario.pk)
    data.update({"service_interests-TOTAL_FORMS": "1", "service_interests-0-service": service.pk})

    response = client.post(lead_url(contact), data)

    assert response.status_code == 302
    assert LeadDiscovery.objects.get(contact=contact).scenario == scenario
    assert contact_interests(contact_id=contact.pk, language="en") == ["Audit"]


def test_staff_who_may_only_view_leads_see_the_scenario_and_interests_read_only(client):
    login_with_permissions(client, "view_contact")
    contact = ContactFactory()
    LeadDiscovery.objects.create(contact=contact, scenario=ScenarioFactory(name="Audit scenario"))
    add_interests(contact, ServiceFactory(title="Bookkeeping"))

    content = client.get(lead_url(contact)).content.decode()

    assert "Audit scenario" in content
    assert "Bookkeeping" in content
    assert 'name="discovery-0-scenario"' not in content


def test_the_add_lead_page_has_no_card(admin_client):
    response = admin_client.get(reverse("admin:conversations_contact_add"))

    assert "lead_card" not in response.context


def test_the_transcript_page_shows_the_card_at_the_top(admin_client, lead):
    response = admin_client.get(reverse("admin:conversations_contact_transcript", args=[lead.pk]))

    content = response.content.decode()
    assert content.index("Lead card") < content.index(lead.messages.get().text)


def test_a_lead_card_value_opens_read_only(admin_client):
    value = LeadFieldValue.objects.create(
        contact=ContactFactory(), key="city", value="Kazan", display="Kazan"
    )

    response = admin_client.get(reverse("admin:discovery_leadfieldvalue_change", args=[value.pk]))

    assert response.context["title"] == "View lead card value"
    assert "city: Kazan" in response.content.decode()


def test_an_extraction_run_opens_read_only(admin_client, runs):
    run = ExtractionRun.objects.get(status="ok")

    response = admin_client.get(reverse("admin:discovery_extractionrun_change", args=[run.pk]))

    assert "gpt-4o-mini · Completed" in response.content.decode()
