"""The console in a real headless Chromium against a real gunicorn on the
demo data: sign in as the demo superadmin, open the dashboard, the gallery,
an image page with its palette and histogram, the users, the audit log and
the security page; deactivate a user and find the audit row; lock an account
out (wrong passwords through the API) and unlock it. axe-core
(tests/browser) checks every page for WCAG 2.1 A/AA violations, the browser
log must show no error (a CSP refusal is one), and each page is saved as a
screenshot under the test's temporary directory."""
from __future__ import annotations

import subprocess
import sys

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from janus.db import init_database
from tests.browser.chromium import axe_source, axe_violations, chromium, describe
from tests.helpers import PROJECT_ROOT, migrate
from tests.live import Gunicorn, send

pytestmark = pytest.mark.gunicorn

# seeds/users.json and README "Demo accounts"
SUPERADMIN = ("admin@janus.example", "janus-superadmin")
DEACTIVATED = "tomas"  # tomas.novak@janus.example
LOCKED = ("priya.raman@janus.example", "janus-priya")
LOCKOUT_THRESHOLD = 5  # JANUS_LOCKOUT_THRESHOLD's default
PAGE_DEADLINE = 60  # seconds; only a page that never loads reaches it
# Set on the page a form is submitted from; a new document has a new window
# object without it. (Chromium under load can answer a look at the replaced
# page's element with "Node with given id does not belong to the document"
# instead of a stale-element error, which staleness_of did not catch.)
OLD_PAGE_MARK = "janusOldPage"


@pytest.fixture
def demo_server(db_factory, tmp_path):
    """gunicorn on a migrated database holding the demo data (make serve's)."""
    url = db_factory.new_url()
    db = init_database(url)
    migrate(db)
    db.close()
    storage = tmp_path / "storage"
    seeded = subprocess.run([sys.executable, "-m", "janus.seeds.first_run"], cwd=PROJECT_ROOT,
                            env={"DATABASE_URL": url, "JANUS_STORAGE_DIR": str(storage),
                                 "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    server = Gunicorn(url, storage, tmp_path / "gunicorn.log").start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()
    db.close_all()


@pytest.fixture
def browser():
    yield from chromium(1280, 900)


class Visit:
    """The browser on the console: open pages, check them, keep screenshots."""

    def __init__(self, driver, base: str, shots, axe: str):
        self.driver, self.base, self.shots, self.axe = driver, base, shots, axe
        self.checked: list[str] = []

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)
        self.loaded()

    def loaded(self) -> None:
        WebDriverWait(self.driver, PAGE_DEADLINE).until(
            lambda d: d.execute_script("return document.readyState") == "complete")

    def new_page_loaded(self, driver) -> bool:
        """The page after a submit: no mark (another document), fully loaded."""
        return driver.execute_script(
            f"return window.{OLD_PAGE_MARK} === undefined"
            " && document.readyState === 'complete'")

    def check(self, name: str) -> None:
        """No WCAG 2.1 A/AA violation, no browser error; a full-page screenshot."""
        violations = axe_violations(self.driver, self.axe)
        assert violations == [], f"{name} ({self.driver.current_url}):\n{describe(violations)}"
        errors = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], f"{name}: {errors}"
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, max(900, min(height + 100, 8000)))
        shot = self.shots / f"{len(self.checked):02d}-{name}.png"
        assert self.driver.save_screenshot(str(shot)) and shot.stat().st_size > 5_000
        self.driver.set_window_size(1280, 900)
        self.checked.append(name)

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def heading(self) -> str:
        return self.find("h1").text.strip()

    def submit(self, button) -> None:
        """Click a form's button and wait for the page it leads to (the old
        one gone, the new one loaded). While the page is replaced the
        browser may answer a script with any WebDriverException: it means
        "not there yet", and the wait asks again."""
        self.driver.execute_script(f"window.{OLD_PAGE_MARK} = true")
        button.click()
        WebDriverWait(self.driver, PAGE_DEADLINE,
                      ignored_exceptions=(WebDriverException,)).until(self.new_page_loaded)


def sign_in(visit: Visit) -> None:
    visit.open("/console/login")
    visit.check("sign-in")
    visit.find("#login").send_keys(SUPERADMIN[0])
    visit.find("#password").send_keys(SUPERADMIN[1])
    visit.submit(visit.find("main form button[type=submit]"))
    assert visit.driver.current_url == visit.base + "/console", visit.driver.page_source[:2000]


def test_the_console_in_a_browser(demo_server, browser, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    visit = Visit(browser, demo_server, shots, axe_source())
    sign_in(visit)

    visit.check("dashboard")
    assert visit.heading() == "Dashboard"
    assert len(visit.finds('main svg[role="img"]')) >= 4  # the summary's charts

    # the gallery, and an uploaded image's page with its palette and histogram
    visit.open("/console/images")
    WebDriverWait(browser, PAGE_DEADLINE).until(lambda d: d.execute_script(
        "const img = document.querySelector('ul.gallery img');"
        "return img !== null && img.complete && img.naturalWidth > 0;"))
    visit.check("gallery")
    image_path = visit.find("ul.gallery li a img").find_element(By.XPATH, "..") \
        .get_attribute("href").removeprefix(demo_server)
    visit.open(image_path)
    if not visit.finds("#palette-heading"):  # not analysed yet: run it, as a superadmin may
        visit.submit(next(b for b in visit.finds("main form button")
                          if b.text.startswith("Run the analysis")))
        assert visit.driver.current_url == demo_server + image_path
    for chart in ("palette", "histogram"):
        section = visit.find(f'section[aria-labelledby="{chart}-heading"]')
        assert section.find_element(By.CSS_SELECTOR, 'svg[role="img"]')
        assert section.find_elements(By.CSS_SELECTOR, "table tbody tr")
    visit.check("image")

    # the users: deactivate one, then find the audit row
    visit.open("/console/users")
    visit.check("users")
    link = next(a for a in visit.finds("main a") if a.text.strip() == DEACTIVATED)
    user_path = link.get_attribute("href").removeprefix(demo_server)
    visit.open(user_path)
    visit.check("user")
    deactivate = next(b for b in visit.finds("main form button")
                      if b.text.strip().lower().startswith("deactivate"))
    visit.submit(deactivate)
    visit.open("/console/audit?action=user.updated")
    visit.check("audit")
    newest = visit.finds("ol.timeline > li")[0]
    assert newest.find_element(By.CSS_SELECTOR, ".action").text == "user.updated"
    assert newest.find_element(By.CSS_SELECTOR, f'a[href="{user_path}"]')
    cells = [c.text for c in newest.find_elements(By.CSS_SELECTOR, "table.diff tbody tr > *")]
    assert cells == ["is_active", "true", "false"]

    # a client's forged grant and a gateway's reported failure: marked "reported"
    port = int(demo_server.rsplit(":", 1)[1])
    status, body = send(port, "POST", "/auth/login",
                        body={"login": SUPERADMIN[0], "password": SUPERADMIN[1]})
    assert status == 200
    assert send(port, "POST", "/logs", body["token"], body={
        "action": "admin.granted", "module": "admin",
        "log_metadata": {"object_type": "admin", "object_id": 1,
                         "changes": {"admin_level": [None, "superadmin"]}}})[0] == 201
    assert send(port, "POST", "/security-events", body["token"], body={
        "action": "login_failed", "account": LOCKED[0], "ip": "192.0.2.99"})[0] == 201
    visit.open("/console/audit?source=client")
    visit.check("audit-reported")
    reported = visit.finds("ol.timeline > li.reported")[0]
    assert "reported by" in reported.find_element(By.CSS_SELECTOR, ".entry-head").text
    assert not reported.find_elements(By.CSS_SELECTOR, "table.diff")

    # a lockout (wrong passwords through the API), shown and cleared
    for _ in range(LOCKOUT_THRESHOLD):
        status, _body = send(port, "POST", "/auth/login",
                             body={"login": LOCKED[0], "password": "not the password"})
        assert status == 401
    visit.open("/console/security")
    visit.check("security-locked")
    assert visit.heading() == "Security"
    assert visit.finds("table.events tr.reported")  # the reported failure, locking nothing
    unlock = visit.find(f'button[aria-label="Unlock {LOCKED[0]}"]')
    visit.submit(unlock)
    assert visit.driver.current_url == demo_server + "/console/security"
    assert "Lockout cleared" in visit.find('[role="status"]').text
    assert "No account is locked out." in visit.find("main").text
    visit.check("security")
    assert send(port, "POST", "/auth/login",
                body={"login": LOCKED[0], "password": LOCKED[1]})[0] == 200

    assert visit.checked == ["sign-in", "dashboard", "gallery", "image", "users", "user",
                             "audit", "audit-reported", "security-locked", "security"]
