"""Reading a Prometheus text page the way Prometheus does."""

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "scrape-token-for-tests"


def samples(text: str) -> dict[tuple, float]:
    """Every sample of the page: (name, label pairs in order of name) -> value."""
    return {
        (sample.name, *sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client) -> dict[tuple, float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    return samples(response.content.decode())
