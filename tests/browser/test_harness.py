"""The browser harness itself (tests/browser/chromium.py): axe-core runs in
a page served under the console's strict Content-Security-Policy, where
the page's own inline script is refused, and it reports what it should."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.chromium import axe_source, axe_violations, chromium, describe, served

# The console's policy (console_common: no inline script, nothing from elsewhere).
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Harness</title>
</head><body><header><p>Janus</p></header><main><h1>A page</h1>{body}
<script>document.body.dataset.inline = "ran";</script></main></body></html>"""
PAGES = {
    "/clean": PAGE.format(body='<form><label for="q">Search</label><input id="q" name="q">'
                          '</form><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw='
                          '" alt="a dot">'),
    "/broken": PAGE.format(body='<input name="q"><img src="data:image/gif;base64,'
                           'R0lGODlhAQABAAAAACw=">'),
}


def app(environ, start_response):
    body = PAGES.get(environ["PATH_INFO"])
    if body is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Security-Policy", CSP)])
    return [body.encode()]


@pytest.fixture
def browser():
    yield from chromium()


@pytest.fixture
def site():
    with served(app) as url:
        yield url


def test_axe_runs_under_the_console_csp_and_finds_nothing_on_a_clean_page(browser, site):
    browser.get(f"{site}/clean")
    # The CSP is in force: the page's inline script did not run ...
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-inline") is None
    # ... yet WebDriver's injected axe does.
    violations = axe_violations(browser, axe_source())
    assert violations == [], describe(violations)


def test_axe_reports_a_missing_label_and_alt_text(browser, site):
    browser.get(f"{site}/broken")
    violations = axe_violations(browser, axe_source())
    assert {"image-alt", "label"} <= {v["id"] for v in violations}, describe(violations)
    assert "image-alt" in describe(violations)
