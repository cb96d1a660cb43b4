"""The crowded lists fit a 1400 px screen: what makes them fit is on the page.

The fit itself was checked in headless Chromium at 1400 px; here are its ingredients: the
project's stylesheet and favicon on every admin page, few columns, long text cut to one line
with the whole text on hover, short times and short headers.
"""

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import ContactFactory, LLMModelFactory, PromptFactory

pytestmark = pytest.mark.django_db

LEADS = reverse("admin:conversations_contact_changelist")
STYLESHEET = "core/admin.css"


def russian_page(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:index"),
        LEADS,
        reverse("admin:catalog_service_add"),
        "/admin/analytics/",
    ],
)
def test_admin_pages_link_the_project_stylesheet_and_favicon(admin_client, url):
    page = russian_page(admin_client, url).content.decode()

    assert f'<link rel="stylesheet" href="/static/{STYLESHEET}">' in page
    assert '<link rel="icon" href="/static/core/favicon.svg" type="image/svg+xml">' in page


def test_django_serves_the_stylesheet_and_the_favicon_itself():
    assert finders.find(STYLESHEET)
    assert finders.find("core/favicon.svg")


def test_the_stylesheet_cuts_long_cells_and_narrows_the_filter_column():
    css = Path(finders.find(STYLESHEET)).read_text(encoding="utf-8")

    assert "text-overflow: ellipsis" in css
    assert "#changelist-filter {\n  flex-basis: 200px;" in css


def test_the_leads_list_has_six_columns(admin_client):
    ContactFactory()

    columns = russian_page(admin_client, LEADS).context["cl"].list_display

    assert len(columns) - 1 == 6  # without the checkbox


def test_a_long_email_is_cut_to_its_column_with_the_whole_address_on_hover(admin_client):
    email = "ekaterina.velikaya-romanova.sales@example-company.ru"
    ContactFactory(email=email, phone="+79991234567")

    page = russian_page(admin_client, LEADS).content.decode()

    assert f'<span class="truncate" title="{email}">{email}</span>' in page
    assert '<span class="truncate" title="+79991234567">+79991234567</span>' in page


def test_a_lead_known_only_by_username_shows_it_once(admin_client):
    ContactFactory(first_name="", last_name="", username="anna_k")

    page = russian_page(admin_client, LEADS).content.decode()

    assert re.search(r'<th class="field-name"><a [^>]+>@anna_k</a></th>', page)


def test_lead_times_take_the_short_format_in_the_project_zone(admin_client):
    ContactFactory(last_message_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC))

    page = russian_page(admin_client, LEADS).content.decode()

    assert "01.03.2025 12:30" in page
    assert "1 марта 2025 г. 12:30" not in page


def test_the_prompt_list_shows_one_line_of_text_with_the_whole_prompt_on_hover(admin_client):
    text = "Ты — вежливый консультант. " * 20
    PromptFactory(text=text)

    page = russian_page(admin_client, reverse("admin:conversations_prompt_changelist"))

    assert f'<span class="truncate" title="{text}">{text}</span>' in page.content.decode()


def test_the_model_list_has_short_headers_and_prices(admin_client):
    LLMModelFactory(input_price_per_million=Decimal("0.1500"))

    page = russian_page(admin_client, reverse("admin:assistant_llmmodel_changelist"))
    headers = [str(header["text"]) for header in page.context["result_headers"] if header["text"]]

    assert headers[-4:] == ["функции", "контекст", "вход, за 1M", "выход, за 1M"]
    assert '<td class="field-input_price">0,15</td>' in page.content.decode()
