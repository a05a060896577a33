"""GET / and GET /docs: an index and an API reference served from local files."""
from __future__ import annotations

import re

import pytest

from tests.api.helpers import assert_error


def test_the_index_names_where_to_start(client):
    res = client.get("/", status=200)
    assert res.json == {"name": "Janus", "docs": "/docs", "openapi": "/openapi.json",
                        "health": "/health", "console": "/console"}


def test_the_docs_page_loads_only_local_files(client):
    res = client.get("/docs", status=200)
    assert res.content_type == "text/html"
    page = res.text
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "nothing from another host"
    assert "<script>" not in page, "no inline script (the CSP forbids it)"
    assert "default-src 'self'" in res.headers["Content-Security-Policy"]
    assert res.headers["X-Frame-Options"] == "DENY"
    for url in re.findall(r'(?:src|href)="(/docs/static/[^"]+)"', page):
        asset = client.get(url, status=200)
        assert asset.body, url
        kind = {"js": "javascript", "css": "text/css", "png": "image/png"}[url.rsplit(".", 1)[1]]
        assert kind in asset.content_type, (url, asset.content_type)
    assert "/openapi.json" in client.get("/docs/static/docs.js").text


def test_the_bundled_swagger_ui_reads_openapi_3_1(client):
    bundle = client.get("/docs/static/swagger-ui-bundle.js", status=200).text
    assert re.search(r'"5\.\d+\.\d+"', bundle), "Swagger UI 5 (version 4 cannot read 3.1)"


@pytest.mark.parametrize("name", ["swagger-editor.js", "..%2Fapp.py", "LICENSE", "x"])
def test_only_the_pages_own_files_are_served(client, name):
    assert_error(client.get(f"/docs/static/{name}", status="*"), 404, "not_found")
