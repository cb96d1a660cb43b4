"""Fixed texts behind the bot's commands, when staff have not written their own."""

import pytest

from assistant import actions
from catalog.selectors import ServiceInfo
from conversations.services import contact_touch
from tests.factories import PromptFactory, ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def english_contact():
    return contact_touch(channel="telegram", external_id="1", language_code="en")[0]


async def test_without_a_greeting_prompt_a_built_in_greeting_is_used():
    contact = await actions.db_call(english_contact)()
    assert await actions.greeting(contact) == (
        "Hello! I can tell you about our services and answer your questions."
    )


async def test_the_privacy_link_is_added_when_the_notice_has_no_placeholder(settings):
    settings.PRIVACY_POLICY_URL = "https://example.com/privacy"
    await actions.db_call(PromptFactory)(
        key="privacy_notice", language="en", text="We keep your data safe."
    )
    contact = await actions.db_call(english_contact)()
    notice, request = await actions.contact_request(contact)
    assert notice == "We keep your data safe.\nhttps://example.com/privacy"
    assert "phone number" in request


def test_the_service_card_shows_price_duration_and_description():
    service = ServiceInfo.from_service(
        ServiceFactory.build(
            pk=1, title="Audit", price=1500, duration="1 hour", description="Full check."
        ),
        "en",
    )
    card = actions.service_card(service, "en")
    assert card == "**Audit**\nPrice: 1 500 RUB\nDuration: 1 hour\n\nFull check."
