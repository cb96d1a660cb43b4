"""Who may call: a valid token (401 otherwise), with the operation's scope (403), within its
rate (429 with Retry-After)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.scopes import Scope
from api.services import secret_hash, token_admit, tokens_revoke
from tests.api.conftest import EVERY_SCOPE, Api, issue
from tests.factories import BotFactory, ContactFactory, PromptFactory, ServiceFactory

pytestmark = pytest.mark.django_db

#: An operation needing each scope: (method, path, body).
NEEDS = {
    Scope.LEADS_READ: ("get", "/leads", None),
    Scope.LEADS_WRITE: ("patch", "/leads/{lead}", {"status": "won"}),
    Scope.MESSAGES_SEND: ("post", "/leads/{lead}/messages", {"text": "Hello"}),
    Scope.CATALOG_WRITE: ("patch", "/services/{service}", {"position": 3}),
    Scope.PROMPTS_WRITE: ("patch", "/prompts/{prompt}", {"text": "Be brief."}),
    Scope.ANALYTICS_READ: ("get", "/analytics/summary", None),
}


def call(api, method, path, body, **ids):
    path = path.format(**ids)
    return getattr(api, method)(path, body) if body is not None else getattr(api, method)(path)


@pytest.fixture
def rows():
    return {
        "lead": ContactFactory(bot=BotFactory()).pk,
        "service": ServiceFactory().pk,
        "prompt": PromptFactory().pk,
    }


def test_a_call_without_a_token_is_refused_with_401(api_as):
    answer = api_as(None).get("/leads")

    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Bearer"
    assert "Bearer" in answer.json()["detail"]


@pytest.mark.parametrize(
    "spoil",
    [
        lambda secret: secret + "x",
        lambda secret: "ca_" + "A" * 43,
        lambda secret: "",
    ],
)
def test_a_wrong_token_is_refused_with_401(api_as, secret, spoil):
    assert api_as(spoil(secret)).get("/leads").status_code == 401


def test_a_revoked_token_is_refused(api, secret):
    assert api.get("/leads").status_code == 200
    tokens_revoke(token_ids=ApiToken.objects.values_list("pk", flat=True))

    assert api.get("/leads").status_code == 401


def test_an_expired_token_is_refused(api_as, issuer):
    past = timezone.now() - timedelta(minutes=1)
    expired = issue(user=issuer, expires_at=past)
    later = issue(user=issuer, expires_at=timezone.now() + timedelta(days=1))

    assert api_as(expired).get("/leads").status_code == 401
    assert api_as(later).get("/leads").status_code == 200


def test_a_token_stops_with_its_issuer_leaving_the_staff(api, issuer):
    issuer.is_active = False
    issuer.save()

    assert api.get("/leads").status_code == 401


def test_only_the_secrets_hash_and_prefix_are_kept(secret):
    token = ApiToken.objects.get()

    assert secret.startswith("ca_") and len(secret) > 40
    assert token.secret_hash == secret_hash(secret) != secret
    assert secret.startswith(token.prefix) and len(token.prefix) == 10


@pytest.mark.parametrize("scope", list(Scope))
def test_every_scope_is_refused_when_missing(api_as, issuer, rows, scope):
    method, path, body = NEEDS[scope]
    without = issue(user=issuer, scopes=[s for s in EVERY_SCOPE if s != scope])
    only = issue(user=issuer, scopes=[scope])

    refused = call(api_as(without), method, path, body, **rows)
    allowed = call(api_as(only), method, path, body, **rows)

    assert refused.status_code == 403
    assert refused.json()["scope"] == scope
    assert scope in refused.json()["detail"]
    assert allowed.status_code in (200, 202)


@pytest.mark.parametrize("path", ["/services", "/services/{service}", "/prompts"])
def test_the_catalog_and_prompts_are_read_with_a_token_of_no_scope(api_as, issuer, rows, path):
    assert api_as(issue(user=issuer, scopes=[])).get(path.format(**rows)).status_code == 200


def test_the_schema_names_each_operations_scope(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert paths["/api/v1/leads"]["get"]["security"] == [{"TokenAuth": ["leads:read"]}]
    assert paths["/api/v1/services"]["get"]["security"] == [{"TokenAuth": []}]


def test_requests_over_the_rate_are_refused_with_retry_after(api_as, issuer):
    limited = api_as(issue(user=issuer, rate_per_minute=3))

    answers = [limited.get("/leads") for _request in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[3]["Retry-After"]) <= 60
    assert "Too many requests" in answers[3].json()["detail"]


def test_each_token_has_a_rate_of_its_own(api_as, issuer):
    first = api_as(issue(user=issuer, rate_per_minute=1))
    second = api_as(issue(user=issuer, rate_per_minute=1))

    assert first.get("/leads").status_code == 200
    assert second.get("/leads").status_code == 200
    assert first.get("/leads").status_code == 429


MINUTE = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)


def test_the_count_starts_again_with_each_minute(secret):
    token = ApiToken.objects.get()

    def admit(at):
        return token_admit(token_id=token.pk, rate_per_minute=2, now=at)

    assert admit(MINUTE) is None
    assert admit(MINUTE + timedelta(seconds=10)) is None
    assert admit(MINUTE + timedelta(seconds=45)) == 15
    assert admit(MINUTE + timedelta(seconds=60)) is None
    token.refresh_from_db()
    assert token.last_used_at == MINUTE + timedelta(seconds=60)
    assert token.window_requests == 1


def test_a_refused_request_still_counts_nothing_more(secret):
    token = ApiToken.objects.get()
    for _request in range(5):
        token_admit(token_id=token.pk, rate_per_minute=2, now=MINUTE)

    token.refresh_from_db()
    assert token.window_requests == 2


def test_a_token_needs_no_csrf_token(issuer, rows):
    """Scripts send no cookies: the bearer token is the whole proof."""
    api = Api(Client(enforce_csrf_checks=True), issue(user=issuer))

    assert api.patch(f"/services/{rows['service']}", {"position": 2}).status_code == 200


def test_requests_racing_from_several_processes_are_counted_together(transactional_db, issuer):
    """Threads with connections of their own stand for web processes: of 12 requests at
    once against a rate of 5, exactly 5 pass, also when a new minute starts among them."""
    issue(user=issuer)
    token = ApiToken.objects.get()
    ApiToken.objects.update(window_start=MINUTE - timedelta(minutes=1), window_requests=5)
    start = threading.Barrier(12)

    def admit():
        start.wait()
        try:
            return token_admit(token_id=token.pk, rate_per_minute=5, now=MINUTE)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(lambda _n: admit(), range(12)))

    assert outcomes.count(None) == 5
    token.refresh_from_db()
    assert (token.window_start, token.window_requests) == (MINUTE, 5)
