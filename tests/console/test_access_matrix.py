"""The console's access matrix, generated from its own route list
(``app.janus_console.routes``, read at collection time): a page added by any
module joins it without editing this file.

- anonymous: 303 to the sign-in page, for every guarded route;
- every redirect is relative, whatever Host and X-Forwarded-* the request
  carries (test_redirects.py: JANUS_PUBLIC_URL);
- a plain user's session: a 403 page;
- a moderator: GET pages 200, superadmin actions a 403 page;
- a superadmin: GET 200; POST actions 303 (POST-redirect-GET), or, sent
  without the form's fields, a 4xx page that is not 403 (never a 5xx).

A route with a URL parameter needs an entry in ``SAMPLES`` (how to make the
object it names); one without fails loudly instead of going untested.
"""
from __future__ import annotations

import itertools

import pytest

from janus.models import Image, Log, OutboxMail, SecurityEvent, User
from janus.services.auth import issue_token
from tests.console.helpers import GUARDED, ROUTES, fill, params_of, route_id
from tests.console.test_api_keys import make_key
from tests.helpers import make_user
from tests.images import photo_like, save

# URL parameter -> (clients' fixtures dict) -> the id of a fresh object.
SAMPLES = {
    "user_id": lambda f: make_user().id,
    # an upload, with a file: the picture routes answer 200 for it
    "image_id": lambda f: f["put"](f["alice"], save(photo_like(next(_seeds)), "PNG")).id,
    "key_id": lambda f: make_key(make_user().id)[0].id,
    # alice's login token, in the sessions view's id space (a token's id * 2)
    "session_id": lambda f: 2 * issue_token(f["alice"].user, 3600).row.id,
    "mail_id": lambda f: OutboxMail.create(
        kind="password_reset", recipient="ada@example.com", subject="s", body="",
        message_id=f"<matrix.{next(_seeds)}@janus>", status="failed").id,
}
_seeds = itertools.count(100)
# Routes that answer with the picture itself rather than a page.
PICTURES = ("/file", "/thumb")
COUNTED = (User, Image, Log, SecurityEvent)
# What a client may claim about where it reached the service; redirects never
# follow it. (Host itself is spoofed for the anonymous only: the signed-in
# browsers' cookies belong to localhost.)
FORWARDED = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}


@pytest.fixture
def fixtures(alice, put):
    return {"alice": alice, "put": put}


def path_for(route, fixtures) -> str:
    missing = [name for name in params_of(route.path) if name not in SAMPLES]
    assert not missing, f"{route_id(route)}: add {missing} to SAMPLES in this file"
    return fill(route.path, {name: SAMPLES[name](fixtures) for name in params_of(route.path)})


def send(client, route, path, headers=None):
    headers = {**FORWARDED, **(headers or {})}
    if route.method == "GET":
        return client.get(path, headers=headers)
    return client.post(path, headers=headers)


def counts():
    return {model: model.select().count() for model in COUNTED}


def test_the_matrix_covers_the_console():
    paths = {route.path for route in ROUTES}
    assert {"/console", "/console/login", "/console/logout"} <= paths
    assert GUARDED and all(route.level in ("moderator", "superadmin") for route in GUARDED)


@pytest.mark.parametrize("route", GUARDED, ids=route_id)
def test_anonymous_is_sent_to_sign_in(anonymous, fixtures, route):
    path = path_for(route, fixtures)
    before = counts()
    res = send(anonymous, route, path, {"Host": "evil.example"})
    assert res.status_int == 303, res.text
    assert res.headers["Location"] == "/console/login"
    assert counts() == before


@pytest.mark.parametrize("route", GUARDED, ids=route_id)
def test_a_plain_users_session_gets_403(as_user, fixtures, route):
    path = path_for(route, fixtures)
    before = counts()
    res = send(as_user, route, path)
    assert res.status_int == 403, res.text
    assert res.content_type == "text/html"
    assert "<h1>Forbidden</h1>" in res.text
    assert counts() == before


@pytest.mark.parametrize("route", GUARDED, ids=route_id)
def test_a_moderator_reads_but_does_not_change(as_moderator, fixtures, route):
    path = path_for(route, fixtures)
    before = counts()
    res = send(as_moderator, route, path)
    if route.level == "moderator":
        assert res.status_int == (200 if route.method == "GET" else 303), res.text
    else:
        assert res.status_int == 403, res.text
        assert "<h1>Forbidden</h1>" in res.text
        assert counts() == before


@pytest.mark.parametrize("route", GUARDED, ids=route_id)
def test_a_superadmin_may_do_everything(as_superadmin, fixtures, route):
    path = path_for(route, fixtures)
    res = send(as_superadmin, route, path)
    if route.method == "GET":
        assert res.status_int == 200, res.text
        if route.path.endswith(PICTURES):
            assert res.content_type.startswith("image/")
        else:
            assert res.content_type == "text/html"
    elif res.status_int == 303:
        location = res.headers["Location"]
        assert location.startswith("/console") and not location.startswith("//"), location
        assert location != "/console/login" or route.path == "/console/logout"
    else:  # an action that needs form fields this request does not send
        assert 400 <= res.status_int < 500 and res.status_int not in (401, 403), res.text
        assert res.content_type == "text/html"
