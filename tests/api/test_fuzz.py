"""Fuzzing: schemathesis generates requests from the OpenAPI document (valid
and invalid ones) for every operation and sends them to the app in-process, as
a plain user, as a superadmin and with a superadmin's API key holding every
scope (the routes that refuse keys answer it 403), on both backends. Every check schemathesis
has is on, and every response (the checks' own follow-up requests included)
goes through the leak scan; the run must find nothing.

Bounded: JANUS_FUZZ_EXAMPLES (default 10) examples per operation and role in
the fuzzing phase, besides schemathesis's example and coverage phases. A long
run: ``JANUS_FUZZ_EXAMPLES=1000 make test PYTEST_ARGS=tests/api/test_fuzz.py``.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import os
import tempfile

import pytest
import schemathesis
from bottle import Bottle
from hypothesis import HealthCheck, settings
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES
from schemathesis.specs.openapi import checks

from janus.config import Config
from janus.storage import open_store
from janus.web import openapi
from janus.web.app import ROUTE_MODULES
from janus.web.registry import Api

EXAMPLES = int(os.environ.get("JANUS_FUZZ_EXAMPLES", "10"))

# Checks left out, each with its reason. All of schemathesis 4.32's others run
# on every response: not_a_server_error, status_code_conformance,
# content_type_conformance, response_headers_conformance,
# response_schema_conformance, negative_data_rejection,
# positive_data_acceptance, missing_required_header, unsupported_method,
# allow_header_conformance, ignored_auth, use_after_free,
# ensure_resource_availability, object_level_authorization. The last three
# judge a sequence of calls: they find something only in a stateful run
# (schemathesis's state machine over the document's links), which this test
# is not, so here they pass vacuously.
EXCLUDED_CHECKS: dict[str, str] = {
    # max_response_time is off unless given a limit: the suite has no timing
    # thresholds (a slow shared machine would fail it).
}
EXCLUDED = [getattr(checks, name) for name in EXCLUDED_CHECKS]


def _document() -> dict:
    """GET /openapi.json as create_app builds it, without touching a database
    (pytest needs the operations at collection time)."""
    config = Config.from_env(env={"JANUS_STORAGE_DIR": tempfile.gettempdir() + "/janus-fuzz"})
    api = Api(Bottle(), config, open_store(config))
    for module in ROUTE_MODULES:
        module.register(api)
    openapi.register(api)
    return openapi.build(api)


_target: dict = {}  # the app of the running test, behind the leak scan
# Requests sent per test (the checks' follow-ups included), written as JSON to
# the file JANUS_FUZZ_STATS names, if set: how much a run exercised.
_sent: collections.Counter = collections.Counter()


def _dispatch(environ, start_response):
    return _target["app"](environ, start_response)


schema = schemathesis.openapi.from_dict(_document())
schema.app = _dispatch  # in-process WSGI, for the checks' own follow-up requests too
PLACEHOLDER = "Bearer janus-fuzz-token"


@schema.auth(refresh_interval=None)
class _Bearer:
    """Authorization through schemathesis's auth hook, so a case generated
    without it (or with a broken one) really goes without. Its value is a
    placeholder that _scanned swaps for the running test's token: schemathesis
    may read auth while pytest collects, before any test has a token."""

    def get(self, case, context):
        return PLACEHOLDER

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": data}


# positive_data_acceptance: a schema-valid request may also get 415 (an upload
# whose bytes are not an image: the document cannot say "a decodable image")
# and 422 (rules JSON Schema does not carry: no NUL character in strings or in
# the keys of free-form JSON, until later than since, role "user" without
# admin_level, the current password): the default list (2xx, 3xx, 401, 403,
# 404, 409, 429, 5xx) plus those two. Such a 4xx must still match the document.
schema.config.checks.positive_data_acceptance.expected_statuses = [
    *POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "415", "422"]


def _scanned(app, leak_scan):
    """The app, with every response body handed to the leak scan."""
    def middleware(environ, start_response):
        _sent["requests"] += 1
        if environ.get("HTTP_AUTHORIZATION") == PLACEHOLDER:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {_target['token']}"
        seen = {}

        def remember(status, headers, exc_info=None):
            seen.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = b"".join(app(environ, remember))
        what = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
        leak_scan.scan(what, seen.get("status"), seen.get("headers", []), body)
        _sent[f"status {str(seen.get('status'))[:3]}"] += 1
        return [body]
    return middleware


@pytest.fixture(scope="module", autouse=True)
def _fuzz_stats():
    yield
    if os.environ.get("JANUS_FUZZ_STATS"):
        with open(os.environ["JANUS_FUZZ_STATS"], "a") as out:
            out.write(json.dumps(dict(_sent)) + "\n")


def _fuzz(case):
    """Send one generated request; run every check on the response."""
    _sent[f"cases {os.environ.get('PYTEST_CURRENT_TEST', '').rsplit(' ', 1)[0]}"] += 1
    case.call_and_validate(excluded_checks=EXCLUDED)


FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))


@pytest.fixture
def fuzz_target(app, leak_scan):
    """Point the fuzzer at this test's app (behind the leak scan) and token."""
    def target(actor):
        _target.update(app=_scanned(app, leak_scan), token=actor.token)
    yield target
    _target.clear()


@pytest.fixture
def as_user(fuzz_target, make_actor):
    fuzz_target(make_actor(None))


@pytest.fixture
def as_superadmin(fuzz_target, make_actor):
    fuzz_target(make_actor("superadmin"))


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_user(case, as_user):
    _fuzz(case)


@pytest.fixture
def as_api_key(fuzz_target, make_actor):
    from janus.scopes import SCOPES
    from tests.api.helpers import key_headers
    owner = make_actor("superadmin")
    plain = key_headers(owner.user, SCOPES)["Authorization"].removeprefix("Bearer ")
    fuzz_target(dataclasses.replace(owner, token=plain))


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_superadmin(case, as_superadmin):
    _fuzz(case)


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_api_key(case, as_api_key):
    _fuzz(case)
