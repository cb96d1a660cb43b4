"""The API against its own schema: requests generated from it (schemathesis) get no server
error and answers that match the schema, with a token of every scope; without a token every
operation answers 401.

Few examples per operation, derandomized, so the run is short and the same each time.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from config.wsgi import application
from tests.api.conftest import bearer, issue
from tests.factories import (
    BotFactory,
    ContactFactory,
    MessageFactory,
    PromptFactory,
    ServiceFactory,
)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
#: Without a token only valid requests: each must be refused for the token alone.
anonymous = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
anonymous.config.generation.update(modes=[GenerationMode.POSITIVE])

#: Rules the schema cannot say refuse some schema-valid requests by design: a cursor must be
#: one the API gave, a service needs its title in the site language and a slug of its own.
BUSINESS_RULES = [positive_data_acceptance]

EXAMPLES = settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def connection_kept_between_requests():
    """As Django's test client does: the app is called in the test's transaction, which
    closing the connection at each request's end (`CONN_MAX_AGE` 0) would end."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def some_data(issuer):
    """Rows the generated ids may find: small ids exist."""
    bot = BotFactory()
    for _n in range(3):
        lead = ContactFactory(bot=bot)
        MessageFactory(conversation__contact=lead, contact=lead)
        ServiceFactory()
    PromptFactory(bot=bot)
    PromptFactory(key="greeting")


@pytest.fixture
def every_scope(issuer, some_data):
    return bearer(issue(user=issuer, rate_per_minute=100_000))


@schema.parametrize()
@EXAMPLES
def test_answers_match_the_schema_with_every_scope(case, every_scope):
    case.call_and_validate(headers=every_scope, excluded_checks=BUSINESS_RULES)


@anonymous.parametrize()
@EXAMPLES
def test_every_operation_needs_a_token(case, some_data):
    response = case.call()

    assert response.status_code == 401
    case.validate_response(response)
