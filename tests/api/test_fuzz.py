"""Fuzzing: schemathesis generates requests from the OpenAPI document (valid
and invalid ones) for every operation and sends them to the app in-process, as
a plain user and as a superadmin, on both backends. Every check schemathesis
has is on, and every response (the checks' own follow-up requests included)
goes through the leak scan; the run must find nothing.

Bounded: JANUS_FUZZ_EXAMPLES (default 10) examples per operation and role in
the fuzzing phase, besides schemathesis's example and coverage phases. A long
run: ``JANUS_FUZZ_EXAMPLES=1000 make test PYTEST_ARGS=tests/api/test_fuzz.py``.
"""
from __future__ import annotations

import os
import tempfile

import schemathesis
from bottle import Bottle
from hypothesis import HealthCheck, settings
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES
from schemathesis.specs.openapi import checks

from janus.config import Config
from janus.imaging import FileStore
from janus.web import openapi
from janus.web.app import ROUTE_MODULES
from janus.web.registry import Api

EXAMPLES = int(os.environ.get("JANUS_FUZZ_EXAMPLES", "10"))

# Checks left out, each with its reason (all others, including the stateful
# use_after_free and ensure_resource_availability, run on every response).
EXCLUDED_CHECKS: dict[str, str] = {}
EXCLUDED = [getattr(checks, name) for name in EXCLUDED_CHECKS]


def _document() -> dict:
    """GET /openapi.json as create_app builds it, without touching a database
    (pytest needs the operations at collection time)."""
    config = Config.from_env(env={"JANUS_STORAGE_DIR": tempfile.gettempdir() + "/janus-fuzz"})
    api = Api(Bottle(), config, FileStore(config.storage_dir))
    for module in ROUTE_MODULES:
        module.register(api)
    openapi.register(api)
    return openapi.build(api)


_target: dict = {}  # the app of the running test, behind the leak scan


def _dispatch(environ, start_response):
    return _target["app"](environ, start_response)


schema = schemathesis.openapi.from_dict(_document())
schema.app = _dispatch  # in-process WSGI, for the checks' own follow-up requests too
# positive_data_acceptance: a schema-valid request may also get 415 (an upload
# whose bytes are not an image: the document cannot say "a decodable image")
# and 422 (rules JSON Schema does not carry: no NUL character inside the keys
# of free-form JSON, until later than since, role "user" without admin_level,
# the current password): the default list (2xx, 3xx, 401, 403, 404, 409,
# 429, 5xx) plus those two. Every such 4xx must still match the document.
schema.config.checks.positive_data_acceptance.expected_statuses = [
    *POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "415", "422"]


def _scanned(app, leak_scan):
    """The app, with every response body handed to the leak scan."""
    def middleware(environ, start_response):
        seen = {}

        def remember(status, headers, exc_info=None):
            seen.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = b"".join(app(environ, remember))
        what = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
        leak_scan.scan(what, seen.get("status"), seen.get("headers", []), body)
        return [body]
    return middleware


def _fuzz(case, app, actor, leak_scan):
    """Send one generated request as ``actor`` and run every check on it."""
    _target["app"] = _scanned(app, leak_scan)
    case.call_and_validate(headers=actor.headers, excluded_checks=EXCLUDED)


FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_user(case, app, make_actor, leak_scan):
    _fuzz(case, app, make_actor(None), leak_scan)


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_superadmin(case, app, make_actor, leak_scan):
    _fuzz(case, app, make_actor("superadmin"), leak_scan)
