"""Scenarios shared or a bot's own, and what the assistant read about leads, seen per bot."""

import pytest
from django.urls import reverse

from discovery.models import ExtractionRun, LeadFieldValue, Scenario
from tests.discovery.test_admin import ADD, CHANGELIST, RUNS, VALUES, errors, list_post
from tests.discovery.test_admin import scenario_data as shared_scenario_data
from tests.factories import BotFactory, ContactFactory, ScenarioFactory
from tests.permissions import login_with_permissions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def bots():
    return BotFactory(name="Shop"), BotFactory(name="Clinic")


@pytest.fixture
def scenarios(bots):
    shop, clinic = bots
    return {
        "shared": ScenarioFactory(name="Everyone's"),
        "shop": ScenarioFactory(name="Shop's", bot=shop),
        "clinic": ScenarioFactory(name="Clinic's", bot=clinic),
    }


@pytest.fixture
def shop_editor(client, bots):
    return login_with_permissions(
        client, "view_scenario", "change_scenario", "add_scenario", bots=[bots[0]]
    )


def scenario_data(bot=None, **overrides):
    return shared_scenario_data(bot=bot.pk if bot else "", **overrides)


def listed(response) -> set[str]:
    return {scenario.name for scenario in response.context["cl"].result_list}


def test_staff_see_shared_scenarios_and_their_bots_own(shop_editor, scenarios):
    assert listed(shop_editor.get(CHANGELIST)) == {"Everyone's", "Shop's"}


def test_the_scenario_list_says_whose_each_scenario_is_and_filters_by_it(admin_client, scenarios):
    shop = scenarios["shop"].bot

    content = admin_client.get(CHANGELIST).content.decode()
    of_shop = admin_client.get(CHANGELIST, {"bot__id__exact": shop.pk})
    shared = admin_client.get(CHANGELIST, {"bot__isnull": "True"})

    assert '<td class="field-for_bot">shared</td>' in content
    assert '<td class="field-for_bot">Clinic</td>' in content
    assert (listed(of_shop), listed(shared)) == ({"Shop's"}, {"Everyone's"})


def test_a_scenario_is_saved_for_the_staffs_bot(shop_editor, bots):
    response = shop_editor.post(ADD, scenario_data(bots[0]))

    assert response.status_code == 302
    assert Scenario.objects.get().bot == bots[0]


def test_a_scenario_for_a_bot_the_staff_do_not_work_with_is_refused(shop_editor, bots):
    response = shop_editor.post(ADD, scenario_data(bots[1]))

    assert any("Select a valid choice" in message for message in errors(response))
    assert not Scenario.objects.exists()


def test_another_bots_scenario_cannot_be_opened(shop_editor, scenarios):
    url = reverse("admin:discovery_scenario_change", args=[scenarios["clinic"].pk])

    assert shop_editor.get(url).status_code == 302


def test_a_bot_may_have_its_own_active_default_beside_the_shared_one(admin_client, bots):
    ScenarioFactory(name="Shared default")

    response = admin_client.post(ADD, scenario_data(bots[0]))

    assert response.status_code == 302
    assert Scenario.objects.filter(is_active=True).count() == 2


def test_a_bots_second_active_default_is_refused(admin_client, bots):
    ScenarioFactory(name="Shop default", bot=bots[0])

    response = admin_client.post(ADD, scenario_data(bots[0], slug="another"))

    assert any("“Shop default” already is" in message for message in errors(response))


def test_defaults_of_different_bots_may_be_switched_on_together_from_the_list(admin_client, bots):
    shop = ScenarioFactory(name="Shop default", bot=bots[0], is_active=False)
    clinic = ScenarioFactory(name="Clinic default", bot=bots[1], is_active=False)

    response = admin_client.post(CHANGELIST, list_post((shop, True), (clinic, True)))

    assert response.status_code == 302
    assert Scenario.objects.filter(is_active=True).count() == 2


def test_two_defaults_of_one_bot_switched_on_from_the_list_are_refused(admin_client, bots):
    first = ScenarioFactory(name="First", bot=bots[0], is_active=False)
    second = ScenarioFactory(name="Second", bot=bots[0], is_active=False)

    response = admin_client.post(CHANGELIST, list_post((first, True), (second, True)))

    assert list(response.context["cl"].formset.non_form_errors()) == [
        "Only one default scenario can be active; these would be: “First”, “Second”."
    ]


# --- What the assistant read about leads ------------------------------------------------------


@pytest.fixture
def read_about_leads(bots):
    """A lead card value and an extraction run of a lead of each bot."""
    for bot in bots:
        lead = ContactFactory(bot=bot, first_name=bot.name, last_name="Lead")
        LeadFieldValue.objects.create(contact=lead, key="city", value="Kazan", display="Kazan")
        ExtractionRun.objects.create(contact=lead, model_name="gpt-x", status="ok")


@pytest.mark.parametrize(
    ("url", "permission"), [(VALUES, "leadfieldvalue"), (RUNS, "extractionrun")]
)
def test_staff_read_only_about_their_bots_leads(client, bots, read_about_leads, url, permission):
    staff = login_with_permissions(client, f"view_{permission}", bots=[bots[1]])

    rows = staff.get(url).context["cl"].result_list

    assert {row.contact.first_name for row in rows} == {"Clinic"}


@pytest.mark.parametrize("url", [VALUES, RUNS])
def test_what_was_read_about_leads_filters_by_bot(admin_client, bots, read_about_leads, url):
    rows = admin_client.get(url, {"contact__bot__id__exact": bots[0].pk}).context["cl"].result_list

    assert {row.contact.first_name for row in rows} == {"Shop"}
