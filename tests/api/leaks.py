"""The leak scan: every HTTP response of the suite is checked for secrets and
tracebacks (a pytest plugin, loaded by tests/conftest.py for every test).

It patches ``webtest.TestApp.do_request`` (the one funnel of every WebTest
request: get, post_json, ... and do_request itself) on the class, so a test
that builds its own ``TestApp`` is scanned too; the fuzz test hands each
schemathesis response to ``scan`` itself. A response fails the test when it
holds

- a password hash (``$argon2``...),
- the SHA-256 of a bearer token seen in this test (janus.services.auth.token_hash
  is wrapped to remember every hash it makes: issued, resolved, revoked, and
  console sessions'), or any hash stored in auth_tokens, console_sessions or
  api_keys when the scan's database is reachable,
- an API key (``jns_...``) outside the one answer that hands it out (the
  201 of ``POST /api-keys``, remembered after it is scanned),
- a Python traceback, a source-file frame or an exception repr.
"""
from __future__ import annotations

import logging
import re

import pytest
import webtest

import janus.services.auth as auth_service

PASSWORD_HASH = re.compile(rb"\$argon2(?:id|i|d)\$")
TRACEBACK = re.compile(
    rb"Traceback \(most recent call last\)"
    rb"|File \\?\""  # a frame, also inside a JSON string (File \")
    # repr() of an exception: OperationalError('...'), KeyError("x"), <class 'x.Y'>
    rb"|\b[A-Z]\w*(?:Error|Exception|Exit|Interrupt)\((?:'|\")"
    rb"|<class '[\w.]+'>"
    rb"|<(?:[a-z_]+\.)+[A-Za-z_]+ object at 0x[0-9a-f]+>")


STATIC_MEDIA = ("text/javascript", "application/javascript", "text/css", "image/")


class LeakFound(AssertionError):
    """A response carried a secret or a traceback."""


class Scanner:
    """The token hashes one test has seen, and the scan of a response."""

    def __init__(self):
        self.token_hashes: set[str] = set()
        self.api_keys: set[str] = set()  # plain keys handed out in this test

    def stored_token_hashes(self) -> set[str]:
        """auth_tokens.token_hash, console_sessions.session_hash and
        api_keys.key_hash as the current database has them (none when there
        is no usable database: a test of an unreachable one)."""
        from janus.db import database
        from janus.models import ApiKey, AuthToken, ConsoleSession
        peewee_log = logging.getLogger("peewee")
        try:
            if database.obj is None or database.is_closed():
                return set()
            # The scan's reads are not the app's: query counts must not see them.
            peewee_log.disabled = True
            return ({row.token_hash for row in AuthToken.select(AuthToken.token_hash)}
                    | {row.session_hash
                       for row in ConsoleSession.select(ConsoleSession.session_hash)}
                    | {row.key_hash for row in ApiKey.select(ApiKey.key_hash)})
        except Exception:  # noqa: BLE001 - the scan must not fail for the database's sake
            return set()
        finally:
            peewee_log.disabled = False

    def scan(self, what: str, status: object, headers, body: bytes) -> None:
        raw = b"\n".join(f"{name}: {value}".encode("latin-1", "replace")
                         for name, value in headers) + b"\n\n" + (body or b"")
        problems = []
        if PASSWORD_HASH.search(raw):
            problems.append("a password hash ($argon2...)")
        # Static assets (Swagger UI's bundle at /docs/static/) are files shipped
        # as they are, not answers Janus composed: their code names exceptions.
        media = next((str(value).lower() for name, value in headers
                      if name.lower() == "content-type"), "")
        static = media.startswith(STATIC_MEDIA)
        if not static and (match := TRACEBACK.search(raw)):
            problems.append(f"a traceback or exception repr ({match.group(0)[:60]!r})")
        text = raw.decode("latin-1").lower()
        hashes = self.token_hashes | self.stored_token_hashes()
        if leaked := sorted(h for h in hashes if h in text):
            problems.append(f"token hash(es) {', '.join(h[:12] + '...' for h in leaked)}")
        if leaked := sorted(key for key in self.api_keys if key.encode() in raw):
            problems.append(f"API key(s) {', '.join(key[:12] + '...' for key in leaked)}")
        if problems:
            raise LeakFound(f"{what} -> {status} leaks {'; '.join(problems)}:\n"
                            f"{raw[:2000].decode('latin-1')}")


@pytest.fixture(autouse=True)
def leak_scan(monkeypatch):
    """Scan every WebTest response of the test; yields the Scanner."""
    scanner = Scanner()
    original_hash = auth_service.token_hash
    original_do_request = webtest.TestApp.do_request

    def remembering_hash(plain: str) -> str:
        digest = original_hash(plain)
        scanner.token_hashes.add(digest)
        return digest

    def scanned_do_request(self, req, status=None, expect_errors=None):
        res = original_do_request(self, req, status=status, expect_errors=expect_errors)
        scanner.scan(f"{req.method} {req.path_qs}", res.status, res.headerlist, res.body)
        if (req.method, req.path, res.status_int) == ("POST", "/api-keys", 201):
            scanner.api_keys.add(res.json["key"])  # shown there once, nowhere else
        return res

    monkeypatch.setattr(auth_service, "token_hash", remembering_hash)
    monkeypatch.setattr(webtest.TestApp, "do_request", scanned_do_request)
    yield scanner
