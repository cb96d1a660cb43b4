"""Russian admin pages put each model's name in the case and number the sentence needs."""

import re

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.test import Client
from django.urls import reverse

from catalog.models import Service
from conversations.models import Contact
from core.templatetags.admin_names import counted_by
from tests.factories import (
    ContactFactory,
    LLMModelFactory,
    MessageFactory,
    ServiceFactory,
    UserFactory,
)
from tests.permissions import login_with_permissions

pytestmark = pytest.mark.django_db


def russian_page(client, url, data=None):
    response = client.get(url, data, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    return response.content.decode()


def russian_post(client, url, data):
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    return response.content.decode()


def text(html):
    """The page's text with tags dropped and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def result_count(html):
    """The count under a change list: "5 лидов"."""
    paginator = re.search(r'<p class="paginator">(.*?)</p>', html, re.DOTALL).group(1)
    return text(paginator)


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_every_admin_names_its_model_in_every_form():
    unnamed = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not hasattr(model_admin, "names")
    ]

    assert unnamed == []


@pytest.mark.parametrize(
    ("leads", "count"), [(1, "1 лид"), (2, "2 лида"), (5, "5 лидов"), (21, "21 лид")]
)
def test_the_lead_count_agrees_with_the_number(admin_client, leads, count):
    ContactFactory.create_batch(leads)

    page = russian_page(admin_client, changelist(Contact))

    assert result_count(page) == count


def test_the_service_list_asks_to_select_a_service_in_the_accusative(admin_client):
    ServiceFactory.create_batch(3)

    page = russian_page(admin_client, changelist(Service))

    assert "Выберите услугу для изменения" in text(page)
    assert "Добавить услугу" in text(page)
    assert result_count(page) == "3 услуги"


def test_a_read_only_list_asks_to_select_for_viewing(admin_client):
    MessageFactory.create_batch(5)

    page = russian_page(admin_client, reverse("admin:conversations_message_changelist"))

    assert "Выберите сообщение для просмотра" in text(page)
    assert result_count(page) == "5 сообщений"


def test_django_staff_accounts_read_right_too(admin_client):
    page = russian_page(admin_client, reverse("admin:auth_user_changelist"))

    assert "Выберите пользователя для изменения" in text(page)
    assert result_count(page) == "1 пользователь"


def test_a_lookup_popup_asks_to_select_a_service(admin_client):
    ServiceFactory()

    page = text(russian_page(admin_client, changelist(Service), {"_popup": "1"}))

    assert "Выберите услугу" in page


def test_the_add_page_adds_a_service(admin_client):
    page = text(russian_page(admin_client, reverse("admin:catalog_service_add")))

    assert "Добавить услугу" in page
    assert "Добавить услуга" not in page


def test_the_change_and_view_pages_name_the_model_in_the_accusative(admin_client):
    service = ServiceFactory()
    url = reverse("admin:catalog_service_change", args=[service.pk])
    viewer = login_with_permissions(Client(), "view_service")

    assert "Изменить услугу" in text(russian_page(admin_client, url))
    assert "Просмотреть услугу" in text(russian_page(viewer, url))


def test_deleting_a_service_asks_about_the_service(admin_client):
    service = ServiceFactory(title="Массаж")

    page = text(
        russian_page(admin_client, reverse("admin:catalog_service_delete", args=[service.pk]))
    )

    assert 'Вы уверены, что хотите удалить услугу "Массаж"?' in page


def test_a_provider_with_models_cannot_be_deleted_and_says_so_in_the_genitive(admin_client):
    model = LLMModelFactory(provider__name="Local")
    url = reverse("admin:assistant_llmprovider_delete", args=[model.provider.pk])

    page = text(russian_page(admin_client, url))

    assert "Не удаётся удалить LLM-провайдер" in page
    assert "Удаление LLM-провайдера 'Local'" in page


def test_deleting_selected_services_names_how_many(admin_client):
    services = ServiceFactory.create_batch(2)
    data = {"action": "delete_selected", "_selected_action": [s.pk for s in services]}

    page = text(russian_post(admin_client, changelist(Service), data))

    assert "Вы уверены, что хотите удалить объекты (2 услуги)?" in page


def test_deleting_selected_protected_providers_says_what_cannot_go(admin_client):
    model = LLMModelFactory()
    data = {"action": "delete_selected", "_selected_action": [model.provider.pk]}

    page = text(russian_post(admin_client, reverse("admin:assistant_llmprovider_changelist"), data))

    assert "Не удаётся удалить объекты (1 LLM-провайдер)" in page
    assert "Удаление объектов (1 LLM-провайдер) потребует" in page


def test_an_admin_without_names_keeps_django_s_count():
    model_admin = ModelAdmin(Service, admin.site)

    assert [counted_by(1, model_admin), counted_by(2, model_admin)] == ["1 service", "2 services"]


def test_english_pages_keep_english_names(admin_client):
    UserFactory()

    response = admin_client.get(reverse("admin:auth_user_changelist"), HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert "Select user to change" in text(page)
    assert result_count(page) == "2 users"
