"""The leak scan (tests/api/leaks.py) fails a test whose response leaks: shown
on a throwaway WSGI app under a TestApp the test builds itself (as some tests
do), and on the middleware the fuzzer sends through."""
from __future__ import annotations

import pytest
import webtest

from janus.models import ConsoleSession, utcnow
from janus.passwords import hash_password
from janus.services.auth import token_hash
from tests.api.leaks import LeakFound
from tests.api.test_fuzz import _scanned


def _app(body: bytes, headers=()):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json"), *headers])
        return [body]
    return app


def _leaks(make_actor):
    actor = make_actor()
    return {
        "password hash": hash_password("hunter2 hunter2").encode(),
        "issued token hash": token_hash(actor.token).encode(),
        "token hash, upper case": token_hash(actor.token).upper().encode(),
        "traceback": b'Traceback (most recent call last):\n  File "janus/x.py", line 1',
        "source frame": b'{"error": "File \\"/srv/janus/db.py\\", line 12, in get"}',
        "exception repr": b"{\"message\": \"OperationalError('database is locked')\"}",
        "class repr": b"{\"message\": \"<class 'peewee.IntegrityError'>\"}",
    }


LEAKS = ["password hash", "issued token hash", "token hash, upper case", "traceback",
         "source frame", "exception repr", "class repr"]


@pytest.mark.parametrize("leak", LEAKS)
def test_a_leaking_body_fails_the_test(db, make_actor, leak):
    body = _leaks(make_actor)[leak]
    with pytest.raises(LeakFound):
        webtest.TestApp(_app(body)).get("/anything")


def test_a_leaking_header_fails_the_test(db, make_actor):
    actor = make_actor()
    app = _app(b"{}", [("X-Debug", token_hash(actor.token))])
    with pytest.raises(LeakFound, match="token hash"):
        webtest.TestApp(app).get("/anything")


def test_a_stored_token_hash_is_found_without_being_seen(db, make_actor, leak_scan):
    """Any auth_tokens.token_hash counts, even one this test's wrapper never saw."""
    actor = make_actor()
    stored = token_hash(actor.token)
    leak_scan.token_hashes.clear()
    with pytest.raises(LeakFound, match="token hash"):
        webtest.TestApp(_app(stored.encode())).get("/anything")


def test_a_stored_console_session_hash_is_found(db, make_actor, leak_scan):
    """console_sessions.session_hash counts as a token hash too."""
    actor = make_actor()
    stored = token_hash("a console session")
    ConsoleSession.create(user=actor.id, session_hash=stored, expires_at=utcnow())
    leak_scan.token_hashes.clear()
    with pytest.raises(LeakFound, match="token hash"):
        webtest.TestApp(_app(stored.encode())).get("/anything")


@pytest.mark.parametrize("leak", LEAKS)
def test_the_fuzzers_middleware_scans_too(db, make_actor, leak_scan, leak):
    body = _leaks(make_actor)[leak]
    with pytest.raises(LeakFound):
        _scanned(_app(body), leak_scan)({"REQUEST_METHOD": "GET", "PATH_INFO": "/x"},
                                        lambda *args: None)


def test_a_clean_response_passes(client, alice):
    """The real app, a body with a 64-hex SHA-256 of an image (not a token)."""
    res = client.get("/auth/me", headers=alice.headers)
    assert res.status_int == 200
    assert webtest.TestApp(_app(b'{"sha256": "' + b"ab" * 32 + b'"}')).get("/").status_int == 200


def test_a_stored_api_key_hash_is_found(db, make_actor, leak_scan):
    """api_keys.key_hash counts as a token hash too."""
    from tests.api.helpers import key_headers
    actor = make_actor()
    plain = key_headers(actor.user, ["images:read"])["Authorization"].split()[1]
    leak_scan.token_hashes.clear()
    with pytest.raises(LeakFound, match="token hash"):
        webtest.TestApp(_app(token_hash(plain).encode())).get("/anything")


def test_an_api_key_anywhere_but_its_creation_fails_the_test(client, alice):
    """The plain key passes in the 201 that hands it out, and fails anywhere after."""
    res = client.post_json("/api-keys", {"name": "ci", "scopes": ["images:read"]},
                           headers=alice.headers, status=201)
    with pytest.raises(LeakFound, match="API key"):
        webtest.TestApp(_app(b'{"echo": "' + res.json["key"].encode() + b'"}')).get("/x")
