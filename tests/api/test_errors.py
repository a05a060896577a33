"""Every failure is the JSON error envelope, and a refused write leaves every
table as it was: a bad-input matrix over the write routes, unknown routes and
methods, bad query strings, and a crashing handler."""
from __future__ import annotations

import json
import logging

import pytest
import webtest

from janus.lists.reads import image_reads, log_reads, user_reads
from janus.models import Admin
from janus.repos.images import images
from janus.repos.logs import logs
from janus.web.app import create_app
from tests.api.helpers import assert_error, call, error_paths, row_counts
from tests.helpers import make_analytics, make_image

# Every route with a JSON body: (method, path, a field and a value of the wrong type).
# Paths name the object they need: {user}, {admin}, {image}, {analytics}.
WRITE_ROUTES = [
    ("POST", "/auth/register", "email", 5),
    ("POST", "/auth/login", "login", ["alice"]),
    ("POST", "/auth/password", "new_password", 12345678),
    ("POST", "/auth/password-reset", "email", 5),
    ("POST", "/auth/password-reset/confirm", "token", 7),
    ("POST", "/auth/verify-email", "token", 7),
    ("POST", "/auth/verify-email/resend", "email", 5),
    ("POST", "/users", "is_active", "yes"),
    ("PATCH", "/users/{user}", "is_active", "no"),
    ("POST", "/admins", "user_id", "two"),
    ("PATCH", "/admins/{admin}", "admin_level", 1),
    ("POST", "/images", "width", "wide"),
    ("PATCH", "/images/{image}", "image_metadata", [1, 2]),
    ("POST", "/logs", "level", 3),
    ("POST", "/analytics", "data", "text"),
    ("PATCH", "/analytics/{analytics}", "research_topic", {"a": 1}),
    ("POST", "/security-events", "security_metadata", True),
    ("POST", "/api-keys", "scopes", "images:read"),
]

# (kind, content type, raw body, status, code, expected details path or None)
BAD_BODIES = [
    ("truncated", "application/json", b'{', 400, "bad_request", None),
    ("malformed", "application/json", b'{"zz" 1}', 400, "bad_request", None),
    ("malformed-charset", "application/json; charset=utf-8", b"{'single': 1}", 400,
     "bad_request", None),
    ("not-utf8", "application/json", b'{"\xff\xfe": 1}', 400, "bad_request", None),
    ("empty", "application/json", b"", 400, "bad_request", None),
    ("blank", "application/json", b"  \n ", 400, "bad_request", None),
    ("text-plain", "text/plain", b"{}", 415, "unsupported_media_type", None),
    ("form", "application/x-www-form-urlencoded", b"a=b", 415, "unsupported_media_type", None),
    ("no-content-type", "", b"{}", 415, "unsupported_media_type", None),
    ("list", "application/json", b"[1, 2]", 422, "validation_error", "$"),
    ("string", "application/json", b'"hello"', 422, "validation_error", "$"),
    ("null", "application/json", b"null", 422, "validation_error", "$"),
    ("unknown-field", "application/json", b'{"zz_unknown": 1}', 422, "validation_error",
     "$.zz_unknown"),
]


@pytest.fixture
def world(superadmin, make_actor):
    """Objects the write routes' paths name, all reachable by ``superadmin``."""
    target = make_actor(name="target")
    mod = make_actor("moderator", name="modx")
    image = make_image(superadmin.id)
    return {"actor": superadmin, "user": target.id,
            "admin": Admin.get(Admin.user == mod.id).id, "image": image.id,
            "analytics": make_analytics(user=superadmin.id, image=image.id).id}


def _send(client, method, path, actor, body: bytes, content_type: str, **kwargs):
    return getattr(client, method.lower())(path, params=body, headers=actor.headers,
                                           content_type=content_type or None, status="*",
                                           **kwargs)


def test_the_matrix_covers_every_route_with_a_json_body(app):
    with_body = {(spec.method, spec.path.replace("<user_id:int>", "{user}")
                  .replace("<admin_id:int>", "{admin}").replace("<image_id:int>", "{image}")
                  .replace("<record_id:int>", "{analytics}"))
                 for spec in app.janus_api.specs if spec.body is not None}
    assert with_body == {(method, path) for method, path, _f, _v in WRITE_ROUTES}


@pytest.mark.parametrize("kind, content_type, body, status, code, path", BAD_BODIES,
                         ids=[row[0] for row in BAD_BODIES])
@pytest.mark.parametrize("method, route", [(m, p) for m, p, _f, _v in WRITE_ROUTES],
                         ids=[f"{m} {p}" for m, p, _f, _v in WRITE_ROUTES])
def test_bad_body(client, world, method, route, kind, content_type, body, status, code, path):
    before = row_counts()
    res = _send(client, method, route.format(**world), world["actor"], body, content_type)
    error = assert_error(res, status, code)
    if path is not None:
        assert path in error_paths(error), error
    assert row_counts() == before


@pytest.mark.parametrize("method, route, field, value", WRITE_ROUTES,
                         ids=[f"{m} {p}" for m, p, _f, _v in WRITE_ROUTES])
def test_wrong_type_names_the_field(client, world, method, route, field, value):
    before = row_counts()
    res = call(client, method, route.format(**world), world["actor"], json={field: value})
    error = assert_error(res, 422, "validation_error")
    assert error_paths(error) == [f"$.{field}"]
    assert f"$.{field}" in error["message"]
    assert row_counts() == before


@pytest.mark.parametrize("method, route", [(m, p) for m, p, _f, _v in WRITE_ROUTES],
                         ids=[f"{m} {p}" for m, p, _f, _v in WRITE_ROUTES])
def test_body_over_the_limit_is_413(make_config, world, method, route):
    client = webtest.TestApp(create_app(make_config(JANUS_MAX_BODY_BYTES=64)))
    body = json.dumps({"filename": "x" * 100}).encode()
    before = row_counts()
    res = _send(client, method, route.format(**world), world["actor"], body, "application/json")
    error = assert_error(res, 413, "payload_too_large")
    assert error["details"] == {"limit": 64}
    assert row_counts() == before


def test_body_at_the_limit_is_read(make_config, alice):
    client = webtest.TestApp(create_app(make_config(JANUS_MAX_BODY_BYTES=64)))
    body = json.dumps({"action": "a", "module": "m"}).encode()
    body += b" " * (64 - len(body))
    res = _send(client, "POST", "/logs", alice, body, "application/json")
    assert res.status_int == 201, res.text
    too_big = _send(client, "POST", "/logs", alice, body + b" ", "application/json")
    assert_error(too_big, 413, "payload_too_large")


@pytest.mark.parametrize("method, path", [
    ("GET", "/nope"), ("GET", "/images/abc"), ("GET", "/images/1/nope"),
    ("POST", "/nope"), ("DELETE", "/users/1/activity/2"), ("GET", "/images/1.5"),
])
def test_unknown_route_is_404_json(client, alice, method, path):
    res = call(client, method, path, alice)
    error = assert_error(res, 404, "not_found")
    assert path in error["message"]


@pytest.mark.parametrize("method, path, allowed", [
    ("PUT", "/images", {"GET", "POST"}), ("DELETE", "/images", {"GET", "POST"}),
    ("POST", "/health", {"GET"}), ("POST", "/images/1", {"GET", "PATCH", "DELETE"}),
    ("PATCH", "/openapi.json", {"GET"}), ("GET", "/auth/login", {"POST"}),
])
@pytest.mark.parametrize("authenticated", [True, False])
def test_wrong_method_is_405_json(client, alice, method, path, allowed, authenticated):
    res = call(client, method, path, alice if authenticated else None)
    error = assert_error(res, 405, "method_not_allowed")
    assert method in error["message"]
    assert {m.strip() for m in res.headers["Allow"].split(",")} - {"HEAD"} == allowed


LIST_ROUTES = ["/images", "/logs", "/analytics", "/security-events", "/users", "/admins"]
BAD_QUERIES = [
    ("limit=0", "$.limit"), ("limit=abc", "$.limit"), ("limit=501", "$.limit"),
    ("limit=-5", "$.limit"), ("limit=1&limit=2", "$.limit"), ("bogus=1", "$.bogus"),
    ("cursor=%21%21%21", "$.cursor"), ("cursor=bm90IGEgY3Vyc29y", "$.cursor"),
    ("cursor=WyIyMDI0LTAxLTAxIiwgMF0", "$.cursor"),  # ["2024-01-01", 0]
    ("since=notadate", "$.since"), ("until=2024-13-01T00:00:00Z", "$.until"),
]


@pytest.mark.parametrize("query, path", BAD_QUERIES, ids=[q for q, _p in BAD_QUERIES])
@pytest.mark.parametrize("route", LIST_ROUTES)
def test_bad_query_is_422_with_path(client, superadmin, route, query, path):
    res = call(client, "GET", f"{route}?{query}", superadmin)
    error = assert_error(res, 422, "validation_error")
    assert error_paths(error) == [path]


@pytest.mark.parametrize("method, route, query, path", [
    ("GET", "/images", "min_width=0", "$.min_width"),
    ("GET", "/images", "owner_id=abc", "$.owner_id"),
    ("GET", "/images", "min_height=1.5", "$.min_height"),
    ("GET", "/logs", "level=loud", "$.level"),
    ("GET", "/logs", "user_id=0", "$.user_id"),
    ("GET", "/analytics", "image_id=x", "$.image_id"),
    ("GET", "/security-events", "user_id=-1", "$.user_id"),
    ("GET", "/users", "is_active=maybe", "$.is_active"),
    ("GET", "/users", "role=root", "$.role"),
    ("GET", "/admins", "admin_level=king", "$.admin_level"),
    ("GET", "/analytics/summary", "days=0", "$.days"),
    ("GET", "/analytics/summary", "limit=5", "$.limit"),
    ("GET", "/images/{image}/thumbnail", "size=100", "$.size"),
    ("GET", "/images/{image}/similar", "max_distance=33", "$.max_distance"),
    ("GET", "/images/{image}/similar", "limit=0", "$.limit"),
    ("POST", "/images/{image}/analysis", "k=0", "$.k"),
    ("POST", "/images/{image}/analysis", "k=17", "$.k"),
    ("POST", "/images/{image}/analysis", "colours=3", "$.colours"),
])
def test_bad_filter_is_422_with_path(client, superadmin, method, route, query, path):
    url = route.format(image=make_image(superadmin.id).id)
    before = row_counts()
    error = assert_error(call(client, method, f"{url}?{query}", superadmin),
                         422, "validation_error")
    assert error_paths(error) == [path]
    assert row_counts() == before


@pytest.mark.parametrize("repo, method, verb, path, body", [
    (image_reads, "page", "GET", "/images", None),
    (images, "create", "POST", "/images",
     {"filename": "a.png", "format": "PNG", "width": 1, "height": 1, "color_type": "L",
      "bit_depth": 8, "file_size": 10}),
    (log_reads, "page", "GET", "/logs", None),
    (logs, "record", "POST", "/logs", {"action": "a", "module": "m"}),
    (user_reads, "page", "GET", "/users", None),
])
def test_crash_is_a_generic_500(client, janus_log, alice, monkeypatch, repo, method, verb,
                                path, body):
    def boom(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(repo, method, boom)
    before = row_counts()
    res = call(client, verb, path, alice, json=body,
               headers={"X-Request-ID": "crash-probe-1"})
    error = assert_error(res, 500, "internal_error")
    assert error["request_id"] == "crash-probe-1"
    assert "secret detail" not in res.text
    assert "Traceback" not in res.text and "RuntimeError" not in res.text
    assert row_counts() == before
    records = [r for r in janus_log.records if r.name == "janus.errors"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert "crash-probe-1" in records[0].getMessage()
    assert records[0].exc_info and "secret detail" in str(records[0].exc_info[1])
    assert "Traceback" in janus_log.text and "secret detail" in janus_log.text
