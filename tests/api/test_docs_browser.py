"""GET /docs in a real headless Chromium (Debian's chromium and
chromium-driver, driven by selenium; the harness is tests/browser/chromium.py):
Swagger UI renders the document and shows every operationId; a screenshot of
the page is saved."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.api.test_openapi import _operations
from tests.browser.chromium import chromium, served

RENDER_DEADLINE = 60  # seconds; only a page that never renders reaches it


@pytest.fixture
def server(app):
    with served(app) as url:
        yield url


@pytest.fixture
def browser():
    yield from chromium()


def test_swagger_ui_renders_every_operation(client, server, browser, tmp_path):
    document = client.get("/openapi.json").json
    op_ids = {op["operationId"] for _m, _p, op in _operations(document)}
    browser.get(f"{server}/docs")

    def rendered(driver):
        shown = {el.text.strip() for el in driver.find_elements(
            By.CSS_SELECTOR, ".opblock-summary-operation-id")}
        return shown if op_ids <= shown else False

    shown = WebDriverWait(browser, RENDER_DEADLINE).until(rendered)
    assert op_ids <= shown
    assert browser.find_element(By.CSS_SELECTOR, ".info .title").text.startswith("Janus")
    # Nothing the page loads fails (its CSP allows only its own files).
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors
    shot = tmp_path / "docs.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
