"""The API's docs page and schema are served by the product itself, nothing from a CDN."""

import re

from django.contrib.staticfiles import finders


def test_the_docs_page_loads_swagger_ui_from_the_products_static_files(client):
    page = client.get("/api/v1/docs").content.decode()

    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/static/ninja/") for source in sources)
    assert all(finders.find(source.removeprefix("/static/")) for source in sources)
    assert '"validatorUrl": null' in page
    assert "/api/v1/openapi.json" in page


def test_the_schema_is_open_to_read(client):
    schema = client.get("/api/v1/openapi.json").json()

    assert schema["info"]["title"] == "Consult assistant API"
    assert schema["components"]["securitySchemes"] == {
        "TokenAuth": {"type": "http", "scheme": "bearer"}
    }
