import pytest

from tests.factories import LLMModelFactory, LLMProviderFactory


@pytest.fixture
def embedder(fake_openai):
    """An embedding model in the registry, served by the fake (hashed bags of stems)."""
    provider = LLMProviderFactory(base_url=fake_openai.base_url)
    return LLMModelFactory(provider=provider, model_id="fake-embedder", capabilities=["embedding"])


@pytest.fixture(autouse=True)
def database_work_on_the_test_connection(settings):
    """Async code's database steps run on the test's own thread and connection (as on
    SQLite), so they see the test's data on PostgreSQL too."""
    settings.DATABASE_THREADS = 1
