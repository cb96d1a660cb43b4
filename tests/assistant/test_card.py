"""The lead card pieces that the conversation tests reach only in passing."""

import pytest
from asgiref.sync import sync_to_async

from assistant import card
from assistant.context import discovery_brief
from assistant.extraction import InvalidOutput, parse_proposal
from assistant.gateway import ClientPool
from assistant.usecases import Turn
from conversations.models import Contact
from conversations.services import contact_touch
from discovery.models import LeadFieldValue, Scenario, ScenarioField
from discovery.selectors import CardEntry, FieldInfo, ScenarioInfo, scenario_info
from discovery.validation import CatalogChoice
from tests.factories import LLMModelFactory, MessageFactory
from tests.fakes.openai_server import ToolCall

SCENARIO = ScenarioInfo(
    id=1,
    slug="s",
    name="S",
    guidance={"en": "Be brief."},
    fields=(FieldInfo("name", "text", {"en": "Name"}, {}, (), True),),
)


def test_service_fields_offer_the_active_catalog_as_choices():
    field = FieldInfo("service", "service", {"en": "Service"}, {"en": "which one"}, (), True)
    request = card._request(field, "en", [CatalogChoice(1, "Audit"), CatalogChoice(2, "Care")])
    assert request.choices == ("Audit", "Care")
    assert (request.label, request.hint) == ("Service", "which one")


def test_when_everything_is_known_the_assistant_is_told_to_stop_asking():
    entry = CardEntry("name", "Name", True, "Anna", created_at=object(), source_message_id=None)
    brief = discovery_brief(SCENARIO, [entry], set(), "en")
    assert "(never ask again): Name" in brief
    assert "do not ask for more details" in brief


def test_the_brief_names_known_fields_but_never_holds_their_values():
    entry = CardEntry("name", "Name", True, "Anna", created_at=object(), source_message_id=None)
    assert "Anna" not in discovery_brief(SCENARIO, [entry], set(), "en")


@pytest.mark.parametrize(
    "raw", ['{"values": ["Anna"]}', '{"values": {}, "declined": "name"}', "[1]", "Anna"]
)
def test_a_proposal_of_the_wrong_shape_is_refused(raw):
    with pytest.raises(InvalidOutput):
        parse_proposal(raw, {"name"})


def test_unknown_keys_in_a_proposal_are_dropped():
    proposal = parse_proposal('{"values": {"name": "A", "shoe": 42}, "declined": ["x"]}', {"name"})
    assert (proposal.values, proposal.declined) == ({"name": "A"}, ())


@pytest.fixture
def phone_scenario(transactional_db):
    scenario = Scenario.objects.create(name="p", slug="p")
    ScenarioField.objects.create(scenario=scenario, key="phone", field_type="phone")
    return scenario_info(scenario_id=scenario.pk)


@pytest.fixture
async def clients():
    pool = ClientPool()
    yield pool
    await pool.close()


def turn_for_new_contact():
    contact, _created = contact_touch(channel="telegram", external_id="77")
    message = MessageFactory(contact_id=contact.id, conversation__contact_id=contact.id)
    return Turn(contact, message.pk, message.conversation_id, False, True), contact


async def test_a_phone_told_in_words_reaches_the_leads_contact_fields(
    phone_scenario, fake_openai, settings, clients
):
    await sync_to_async(LLMModelFactory)(provider__base_url=fake_openai.base_url, is_default=True)
    turn, contact = await sync_to_async(turn_for_new_contact)()
    fake_openai.queue(ToolCall("record_lead_fields", '{"values": {"phone": "8 912 345 67 89"}}'))
    outcome = await card.update_card(turn, phone_scenario, clients=clients)
    assert outcome.qualified_now is True
    phone = await sync_to_async(lambda: Contact.objects.get(pk=contact.id).phone)()
    assert phone == "+79123456789"
    assert await sync_to_async(LeadFieldValue.objects.count)() == 1


async def test_an_unexpected_error_leaves_the_card_alone_and_is_logged(
    phone_scenario, monkeypatch, caplog, clients
):
    def broken(turn, scenario):
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(card, "_context", broken)
    turn, _contact = await sync_to_async(turn_for_new_contact)()
    assert await card.update_card(turn, phone_scenario, clients=clients) == card.CardOutcome()
    assert "Lead card update failed" in caplog.text


async def test_without_any_model_the_card_is_left_for_later(phone_scenario, clients):
    turn, _contact = await sync_to_async(turn_for_new_contact)()
    assert await card.update_card(turn, phone_scenario, clients=clients) == card.CardOutcome()
    assert await sync_to_async(LeadFieldValue.objects.count)() == 0
