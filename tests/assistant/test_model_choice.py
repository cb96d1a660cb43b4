"""The model a lead chose is the assistant's to keep: one per lead, shown on the lead's page."""

import pytest
from django.urls import reverse

from assistant.models import ModelChoice
from assistant.services import contact_set_model
from tests.admin_forms import change_form_data
from tests.factories import ContactFactory, LLMModelFactory

pytestmark = pytest.mark.django_db


def test_the_model_choice_is_saved_replaced_and_cleared():
    contact = ContactFactory()
    first, second = LLMModelFactory(), LLMModelFactory()
    contact_set_model(contact_id=contact.pk, model_id=first.pk)
    contact_set_model(contact_id=contact.pk, model_id=second.pk)
    assert ModelChoice.objects.get(contact=contact).model == second
    contact_set_model(contact_id=contact.pk, model_id=None)
    assert not ModelChoice.objects.filter(contact=contact).exists()


def test_staff_see_and_set_the_chosen_model_on_the_lead_page(admin_client):
    contact = ContactFactory(first_name="Anna")
    model = LLMModelFactory(display_name="GPT Mini")
    url = reverse("admin:conversations_contact_change", args=[contact.pk])
    data = change_form_data(admin_client.get(url))
    data["model_choice-0-model"] = str(model.pk)

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert ModelChoice.objects.get(contact=contact).model == model
    assert "GPT Mini" in admin_client.get(url).content.decode()
