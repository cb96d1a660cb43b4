"""Every admin list and add page opens for a superuser, in Russian (the default) too."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from tests.factories import ContactFactory, LLMModelFactory, MessageFactory, ServiceFactory

pytestmark = pytest.mark.django_db

MODELS = list(admin.site._registry)


@pytest.fixture
def some_data():
    contact = ContactFactory(phone="+79123456789")
    MessageFactory(conversation__contact=contact, contact=contact)
    ServiceFactory()
    LLMModelFactory(is_default=True)


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_the_list_page_opens(admin_client, some_data, model, language, settings):
    settings.SECURE_SSL_REDIRECT = False
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with translation.override(language):
        response = admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_the_add_page_opens_or_is_refused_on_purpose(admin_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    assert admin_client.get(url).status_code in (200, 403)


def test_the_admin_home_opens_in_russian(admin_client):
    response = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    assert "Лиды" in response.content.decode()
