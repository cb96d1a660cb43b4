"""The model each lead chose, stored on the lead, moves to the assistant's table and back."""

import pytest

from assistant.models import ModelChoice
from assistant.selectors import model_spec_for
from tests.factories import ContactFactory, LLMModelFactory
from tests.migrating import migrate, migrate_to_latest

BEFORE = [
    ("conversations", "0009_contact_phone_trigram_index"),
    ("assistant", "0004_move_logentry_to_core"),
]
AFTER = [("conversations", "0010_remove_what_other_apps_keep")]


@pytest.fixture
def old_apps(transactional_db):
    yield migrate(BEFORE)
    migrate_to_latest()


def test_a_lead_keeps_the_model_it_chose(old_apps):
    provider = old_apps.get_model("assistant", "LLMProvider").objects.create(
        name="Local", base_url="http://127.0.0.1:1/v1"
    )
    LLMModel = old_apps.get_model("assistant", "LLMModel")
    LLMModel.objects.create(provider=provider, model_id="main", display_name="Main")
    chosen = LLMModel.objects.create(provider=provider, model_id="chosen", display_name="Chosen")
    Contact = old_apps.get_model("conversations", "Contact")
    lead = Contact.objects.create(external_id="1", chosen_model=chosen)
    Contact.objects.create(external_id="2")

    migrate(AFTER)
    migrate_to_latest()  # the current code reads what AFTER moved, as later migrations kept it

    assert list(ModelChoice.objects.values_list("contact_id", "model_id")) == [(lead.pk, chosen.pk)]
    spec, replaced = model_spec_for(contact_id=lead.pk)
    assert (spec.model_id, replaced) == ("chosen", False)


@pytest.mark.usefixtures("old_apps")
def test_going_back_puts_the_choice_on_the_lead_again():
    migrate_to_latest()  # through AFTER, to the schema the factories write
    first, second = LLMModelFactory(), LLMModelFactory()
    choices = {ContactFactory().pk: model.pk for model in (first, second, second)}
    for contact_id, model_id in choices.items():
        ModelChoice.objects.create(contact_id=contact_id, model_id=model_id)
    ContactFactory()

    Contact = migrate(BEFORE).get_model("conversations", "Contact")

    chosen = dict(Contact.objects.exclude(chosen_model=None).values_list("pk", "chosen_model_id"))
    assert chosen == choices
    assert Contact.objects.filter(chosen_model=None).count() == 1


def test_every_model_registered_before_voice_answers_chat(transactional_db):
    old = migrate([("assistant", "0007_models_per_bot")])
    try:
        provider = old.get_model("assistant", "LLMProvider").objects.create(
            name="Local", base_url="http://127.0.0.1:1/v1"
        )
        old.get_model("assistant", "LLMModel").objects.create(
            provider=provider, model_id="main", display_name="Main"
        )
        migrate([("assistant", "0008_voice")])
    finally:
        migrate_to_latest()
    assert model_spec_for(contact_id=ContactFactory().pk)[0].capabilities == ("chat",)
