"""Fixed texts of the use cases, when staff have not written their own."""

import pytest

from assistant.usecases.catalog import service_card
from assistant.usecases.contacts import contact_request
from assistant.usecases.conversation import _greeting
from catalog.selectors import ServiceInfo
from tests.factories import PromptFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_without_a_greeting_prompt_a_built_in_greeting_is_used():
    assert (
        _greeting("en", None)
        == "Hello! I can tell you about our services and answer your questions."
    )


def test_the_privacy_link_is_added_when_the_notice_has_no_placeholder(settings):
    settings.PRIVACY_POLICY_URL = "https://example.com/privacy"
    PromptFactory(key="privacy_notice", language="en", text="We keep your data safe.")
    notice, request = contact_request("en", None)
    assert notice == "We keep your data safe.\nhttps://example.com/privacy"
    assert "phone number" in request


def test_the_service_card_shows_price_duration_and_description():
    service = ServiceInfo.from_service(
        ServiceFactory.build(
            pk=1, title="Audit", price=1500, duration="1 hour", description="Full check."
        ),
        "en",
    )
    card = service_card(service)
    assert card == "**Audit**\nPrice: 1 500 RUB\nDuration: 1 hour\n\nFull check."
