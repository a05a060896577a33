"""GET /docs in a real headless Chromium (Debian's chromium and
chromium-driver, driven by selenium): Swagger UI renders the document and
shows every operationId; a screenshot of the page is saved."""
from __future__ import annotations

import os
import shutil
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.api.test_openapi import _operations

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
RENDER_DEADLINE = 60  # seconds; only a page that never renders reaches it


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # the app logs its own access lines
        pass


@pytest.fixture
def server(app):
    """The app over real HTTP (wsgiref, a thread per request), on a free port."""
    served = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_Quiet)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{served.server_port}"
    served.shutdown()
    served.server_close()
    thread.join()


@pytest.fixture
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing (.ci/run installs them)")
        pytest.skip("apt-get install chromium chromium-driver to run the browser check")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--disable-gpu", "--window-size=1400,2400"):
        options.add_argument(flag)
    # The system driver: selenium never looks for (or downloads) one of its own.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


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
