"""Helpers of the console tests: signed-in WebTest clients, forms with their
CSRF token, and the console's route list read at collection time (the
access matrix)."""
from __future__ import annotations

import dataclasses
import re
import secrets
from datetime import timedelta

import webtest
from playhouse.test_utils import count_queries

from janus.models import ConsoleSession, utcnow
from janus.services.auth import token_hash
from janus.web.console.session import SESSION_COOKIE
from tests.api.helpers import CLIENT_IP, collection_app

CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
LOGIN = "/console/login"


def csrf_of(res) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(res.text)
    assert match, res.text[:2000]
    return match.group(1)


@dataclasses.dataclass
class ConsoleClient:
    """A browser: its own cookie jar, signed in as ``actor`` (tests.api Actor)
    unless ``actor`` is None. ``csrf`` is the session's form token."""

    app: webtest.TestApp
    actor: object = None
    csrf: str = ""

    def get(self, path: str, status="*", **kwargs):
        return self.app.get(path, status=status, **kwargs)

    def post(self, path: str, fields: dict | None = None, csrf: str | None = None,
             status="*", **kwargs):
        """POST a form; ``csrf`` defaults to the session's token ("" sends none)."""
        data = dict(fields or {})
        token = self.csrf if csrf is None else csrf
        if token:
            data["csrf_token"] = token
        return self.app.post(path, data, status=status, **kwargs)

    def cookie(self, name: str) -> str | None:
        return self.app.cookies.get(name)


def queries(client: ConsoleClient, path: str, status: int = 200) -> int:
    """How many statements peewee sends while ``client`` GETs ``path``. Warm
    the app up first (one request: its first checks migrations)."""
    with count_queries() as counter:
        res = client.get(path)
    assert res.status_int == status, res.text
    return counter.count


def browser(wsgi_app, **environ) -> webtest.TestApp:
    return webtest.TestApp(wsgi_app, extra_environ={"REMOTE_ADDR": CLIENT_IP, **environ})


def sign_in(app, login: str, password: str, **environ):
    """A fresh browser that fetched the sign-in form and posted it; returns
    (ConsoleClient, the POST's response)."""
    client = ConsoleClient(browser(app, **environ))
    form = client.get(LOGIN)
    assert form.status_int == 200, form.text
    res = client.post(LOGIN, {"login": login, "password": password}, csrf=csrf_of(form))
    if res.status_int == 303:
        client.csrf = csrf_of(client.get("/console"))
    return client, res


def planted_session(app, user, expires_in: int = 3600) -> ConsoleClient:
    """A browser holding a session of ``user`` written straight to the table:
    what only a user demoted after signing in could hold (sign-in refuses
    non-admins), to show such a session still gets nothing."""
    plain = secrets.token_urlsafe(32)
    now = utcnow()
    ConsoleSession.create(user=user.id, session_hash=token_hash(plain), created_at=now,
                          expires_at=now + timedelta(seconds=expires_in))
    client = ConsoleClient(browser(app))
    client.app.set_cookie(SESSION_COOKIE, plain)
    return client


# -- the console's route list, read at collection time --------------------------
def _collect_routes():
    return list(collection_app().janus_console.routes)


ROUTES = _collect_routes()
GUARDED = [route for route in ROUTES if route.level is not None]
_PARAM_RE = re.compile(r"<(\w+)(?::\w+)?>")


def route_id(route) -> str:
    return f"{route.method} {route.path}"


def params_of(path: str) -> list[str]:
    return _PARAM_RE.findall(path)


def fill(path: str, values: dict) -> str:
    return _PARAM_RE.sub(lambda m: str(values[m.group(1)]), path)
