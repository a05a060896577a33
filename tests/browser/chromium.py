"""The real-browser harness: Debian's headless Chromium driven by selenium
(the system chromedriver), an app served over real HTTP, and axe-core
(tests/browser/package.json, installed by ``make install-dev`` with
``npm ci``) injected into a page to list its WCAG 2.1 A/AA violations.

axe is injected with WebDriver's execute_script, which Chromium runs outside
the page's Content-Security-Policy (tests/browser/test_harness.py checks it
under the console's own CSP), so pages keep ``script-src 'self'``.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules/axe-core/axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
# Only a script that never answers reaches it (axe takes about a second a page).
SCRIPT_DEADLINE = 60


def _missing(what: str, how: str):
    if os.environ.get("CI"):
        pytest.fail(f"{what} missing ({how}; .ci/run installs it)")
    pytest.skip(f"{what} missing: {how} to run the browser checks")


def chromium(width: int = 1400, height: int = 2400):
    """A headless Chromium, for a fixture to yield from. Without the browser
    the test is skipped, except under CI (``CI`` set), where it fails."""
    if not (CHROMIUM and CHROMEDRIVER):
        _missing("chromium and chromium-driver", "apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--disable-gpu", f"--window-size={width},{height}"):
        options.add_argument(flag)
    # The system driver: selenium never looks for (or downloads) one of its own.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_script_timeout(SCRIPT_DEADLINE)
    try:
        yield driver
    finally:
        driver.quit()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # the app logs its own access lines
        pass


@contextlib.contextmanager
def served(app):
    """A WSGI app over real HTTP (wsgiref, a thread per request) on a free
    port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        _missing("axe-core", "make install-dev (npm ci in tests/browser)")
    return AXE_SCRIPT.read_text(encoding="utf-8")


_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then(result => done(result.violations), error => done({error: String(error)}));
"""


def axe_violations(driver, source: str) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page ``driver`` shows."""
    driver.execute_script(source)
    result = driver.execute_async_script(_RUN_AXE, list(WCAG_TAGS))
    assert not (isinstance(result, dict) and "error" in result), result
    return result


def describe(violations: list[dict]) -> str:
    """One line per violation and element, for a failing assertion."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                         f"at {' '.join(map(str, node['target']))}: "
                         f"{node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)
