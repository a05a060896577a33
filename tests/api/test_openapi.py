"""GET /openapi.json: a valid OpenAPI 3.1 document that matches the routes
the app really serves, their auth, parameters, bodies and responses."""
from __future__ import annotations

import fnmatch
import json
import re

import jsonschema
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from janus.lists.images import IMAGES
from janus.lists.records import ANALYTICS, LOGS, SECURITY_EVENTS
from janus.lists.users import ADMINS, USERS
from janus.models import Admin
from janus.models import Image as ImageRow
from tests.api.helpers import SUCCESS, call, run_case, upload
from tests.helpers import make_analytics, make_image
from tests.images import photo_like, save

PUBLIC = {("get", "/health"), ("get", "/health/live"), ("get", "/health/ready"),
          ("get", "/openapi.json"), ("post", "/auth/login"),
          ("post", "/auth/register"), ("get", "/"), ("get", "/docs"),
          ("get", "/docs/static/{name}"), ("get", "/metrics"),
          ("post", "/auth/password-reset"), ("post", "/auth/password-reset/confirm"),
          ("post", "/auth/verify-email"), ("post", "/auth/verify-email/resend")}
# Routes that never touch the database (so never answer 503).
NO_DATABASE = {"/health/live", "/openapi.json", "/", "/docs", "/docs/static/{name}", "/metrics"}
# Write routes that take no body.
NO_BODY = {("post", "/auth/logout"), ("post", "/auth/logout-all"),
           ("post", "/images/{image_id}/analysis")}
# Write routes that also take a multipart upload.
MULTIPART = {("post", "/images")}
METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "trace"}


@pytest.fixture
def document(client):
    res = client.get("/openapi.json", status="*")
    assert res.status_int == 200
    assert res.content_type == "application/json"
    return res.json


def _operations(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def test_is_a_valid_openapi_3_1_document(document):
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] and document["info"]["version"]
    validate(document)  # detects the version from the document
    errors = list(OpenAPIV31SpecValidator(document).iter_errors())
    assert errors == []


def test_served_without_a_token_and_identical_each_time(client, document):
    again = client.get("/openapi.json")
    assert again.status_int == 200
    assert again.json == document


def test_operations_equal_the_app_routes(app, document):
    """Every API route, and none of the console's HTML pages (/console)."""
    served = {(route.method.lower(), re.sub(r"<(\w+)(?::[^>]*)?>", r"{\1}", route.rule))
              for route in app.routes if "console" not in route.config}
    described = {(method, path) for method, path, _op in _operations(document)}
    assert described == served
    assert len(served) >= 30
    console = [route.rule for route in app.routes if "console" in route.config]
    assert console and all(rule.startswith("/console") for rule in console)
    assert not [path for path in document["paths"] if path.startswith("/console")]


def test_operation_ids_are_unique(document):
    op_ids = [op["operationId"] for _m, _p, op in _operations(document)]
    assert len(op_ids) == len(set(op_ids))


def test_bearer_auth_on_every_route_but_the_public_ones(document):
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "security" not in document or document["security"] in ([], [{}])
    for method, path, op in _operations(document):
        if (method, path) in PUBLIC:
            assert op.get("security", []) == [], (method, path)
            # Public routes need no token; only login answers 401 (wrong credentials).
            assert ("401" in op["responses"]) == (path == "/auth/login"), (method, path)
        else:
            # A login token always; an API key only with the operation's scope.
            scope = op["x-scope"]
            assert op["security"] == [{"bearerAuth": []}] + (
                [] if scope == "none" else [{"apiKeyAuth": [scope]}]), (method, path)
            assert "401" in op["responses"], (method, path)
            assert "403" in op["responses"], (method, path)  # insufficient_scope


def test_every_operation_shows_the_scope_its_spec_declares(app, document):
    specs = {(s.method.lower(), re.sub(r"<(\w+)(?::\w+)?>", r"{\1}", s.path)): s
             for s in app.janus_api.specs}
    keyed = document["components"]["securitySchemes"]["apiKeyAuth"]
    assert (keyed["type"], keyed["scheme"]) == ("http", "bearer")
    for method, path, op in _operations(document):
        spec = specs[(method, path)]
        if not spec.auth:
            assert "x-scope" not in op, (method, path)
        else:
            assert op["x-scope"] == (spec.scope or "none"), (method, path)
    refused = {path for method, path, op in _operations(document) if op.get("x-scope") == "none"}
    assert {"/api-keys", "/api-keys/{key_id}", "/auth/password", "/auth/logout"} <= refused


def test_documented_auth_is_what_the_routes_enforce(client, document):
    """Without a token every secured route answers 401, no public one does."""
    for method, path, _op in _operations(document):
        url = re.sub(r"\{\w+\}", "1", path)
        res = call(client, method, url, json={} if method in ("post", "patch") else None)
        if (method, path) in PUBLIC:
            assert res.status_int != 401, (method, path)
        else:
            assert res.status_int == 401, (method, path, res.text)
            assert res.json["error"]["code"] == "unauthorized"


def test_every_path_parameter_is_declared(document):
    for method, path, op in _operations(document):
        in_path = set(re.findall(r"\{(\w+)\}", path))
        declared = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "path"}
        assert set(declared) == in_path, (method, path)
        for param in declared.values():
            assert param["required"] is True
            assert param["schema"]["type"] == ("string" if param["name"] == "name" else "integer")
        if in_path:
            assert "404" in op["responses"], (method, path)


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_ref_resolves_inside_components(document):
    refs = set(_refs(document))
    assert refs, "the document uses components"
    for ref in refs:
        assert ref.startswith("#/components/"), ref
        node = document
        for part in ref[2:].split("/"):
            assert part in node, ref
            node = node[part]
        assert isinstance(node, dict)


def test_request_bodies_on_write_routes(document):
    for method, path, op in _operations(document):
        if method in ("post", "patch") and (method, path) not in NO_BODY:
            body = op.get("requestBody")
            assert body and body["required"] is True, (method, path)
            media = {"application/json"} | (
                {"multipart/form-data"} if (method, path) in MULTIPART else set())
            assert set(body["content"]) == media, (method, path)
            for status in ("400", "413", "415", "422"):
                assert status in op["responses"], (method, path, status)
        else:
            assert "requestBody" not in op, (method, path)


def test_error_responses_use_the_envelope(document):
    schemas = document["components"]["schemas"]
    error = schemas["ErrorObject"]
    assert set(error["required"]) == {"code", "message", "request_id"}
    assert "details" in error["properties"]
    for method, path, op in _operations(document):
        assert "500" in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                # Only readiness's 503 may also be its own body (status "degraded").
                if "oneOf" in schema:
                    assert (method, path, status) in {("get", "/health", "503"),
                                                      ("get", "/health/ready", "503")}
                    assert schema["oneOf"][0] == {"$ref": "#/components/schemas/Health"}
                    schema = schema["oneOf"][1]
                assert schema["$ref"] == "#/components/schemas/ErrorBody", (method, path, status)


# Each list's filters and search are its declaration's (janus.lists): the
# document names each one, and the route accepts each as documented.
LIST_QUERIES = {path: set(listing.filters) | ({"q"} if listing.search else set())
                for path, listing in [
    ("/images", IMAGES), ("/logs", LOGS), ("/analytics", ANALYTICS),
    ("/security-events", SECURITY_EVENTS), ("/users", USERS), ("/admins", ADMINS)]}
SAMPLES = {"integer": "1", "string": "x", "boolean": "true"}


def _sample(schema):
    options = schema.get("anyOf", [schema])
    for option in options:
        if "enum" in option:
            return str(option["enum"][0])
        if option.get("type") in SAMPLES:
            return SAMPLES[option["type"]]
    raise AssertionError(schema)


@pytest.mark.parametrize("path", sorted(LIST_QUERIES))
def test_list_query_parameters_are_documented_and_accepted(client, superadmin, document,
                                                           path, make_actor):
    params = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]
              if p["in"] == "query"}
    assert set(params) == ({"limit", "cursor", "since", "until", "sort", "count"}
                           | LIST_QUERIES[path])
    assert all(p["required"] is False for p in params.values())
    limit = params["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 500, 50)
    for name, param in params.items():
        if name == "cursor":
            continue  # only a cursor the service issued is valid (test_errors)
        value = ("2024-01-01T00:00:00Z" if name in ("since", "until")
                 else _sample(param["schema"]))
        res = call(client, "GET", path, superadmin, params={name: value})
        assert res.status_int == 200, (path, name, value, res.text)


def _validator(document, schema):
    return jsonschema.Draft202012Validator(
        {**schema, "components": document["components"]})


def _response_schema(document, method, path, status):
    response = document["paths"][path][method]["responses"].get(str(status))
    assert response is not None, (method, path, status)
    content = response.get("content")
    return content["application/json"]["schema"] if content else None


def _doc_path(document, method, url):
    """The documented path template that ``url`` matches."""
    for path in document["paths"]:
        pattern = "^" + re.sub(r"\\\{\w+\\\}", r"\\d+", re.escape(path)) + "$"
        if re.match(pattern, url.split("?")[0]) and method in document["paths"][path]:
            return path
    raise AssertionError(f"{method} {url} is not documented")


def test_get_responses_match_their_documented_schemas(client, document, superadmin, alice):
    make_image(alice.id, image_metadata={"exif": {"Make": "X"}})
    shot = upload(client, alice, save(photo_like(31, (80, 60)), "PNG"), "shot.png")
    assert upload(client, alice, save(photo_like(31, (80, 61)), "PNG")).status_int == 201
    assert shot.status_int == 201, shot.text
    image = ImageRow.get_by_id(shot.json["id"])
    record = make_analytics("t", [1, {"a": None}], user=alice.id, image=image.id)
    log = call(client, "POST", "/logs", alice,
               json={"action": "a", "module": "m", "log_metadata": {"n": 1}})
    event = call(client, "POST", "/security-events", superadmin,
                 json={"action": "probe", "user_id": alice.id})
    key = call(client, "POST", "/api-keys", alice,
               json={"name": "ci", "scopes": ["images:read"]})
    assert key.status_int == 201, key.text
    call(client, "GET", "/auth/me", headers={"Authorization": f"Bearer {key.json['key']}"})
    assert (log.status_int, event.status_int) == (201, 201)
    ids = {"user_id": alice.id, "admin_id": Admin.get(Admin.user == superadmin.id).id,
           "image_id": image.id, "log_id": log.json["id"], "record_id": record.id,
           "event_id": event.json["id"], "name": "docs.js"}
    checked = 0
    for method, path, _op in _operations(document):
        if method != "get":
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m[1]]), path)
        # /metrics answers loopback only (JANUS_METRICS_ALLOW's default)
        local = {"extra_environ": {"REMOTE_ADDR": "127.0.0.1"}} if path == "/metrics" else {}
        res = call(client, "GET", url, superadmin, **local)
        assert res.status_int == 200, (url, res.body[:300])
        # The answer is one of the documented media types (an export: CSV or NDJSON).
        documented = document["paths"][path]["get"]["responses"]["200"]["content"].items()
        (media, content), = [(media, content) for media, content in documented
                             # WebTest drops the parameters
                             if fnmatch.fnmatch(res.content_type, media.split(";")[0])]
        if media == "application/json":
            _validator(document, content["schema"]).validate(res.json)
            if "{" not in path and "items" in res.json:
                assert res.json["items"], url  # the schema was checked against real items
        else:
            assert res.body, url
        checked += 1
    assert checked >= 15


@pytest.mark.parametrize("case", SUCCESS, ids=[c.name for c in SUCCESS])
def test_write_responses_match_the_document(client, document, world, case):
    res = run_case(client, case, world)
    path = _doc_path(document, case.method.lower(), case.url(world))
    documented = document["paths"][path][case.method.lower()]["responses"]
    success = [int(s) for s in documented if int(s) < 300]
    assert res.status_int in success, (case.name, res.status_int, success)
    schema = _response_schema(document, case.method.lower(), path, res.status_int)
    if schema is None:
        assert res.body == b""
    else:
        _validator(document, schema).validate(res.json)


@pytest.mark.parametrize("method, url, status", [
    ("get", "/images/999999", 404), ("post", "/images", 422), ("patch", "/logs/1", 405),
    ("get", "/nope", 404), ("get", "/images?limit=0", 422)])
def test_error_bodies_match_the_error_schema(client, document, alice, method, url, status):
    res = call(client, method, url, alice, json={} if method == "post" else None)
    assert res.status_int == status
    _validator(document, {"$ref": "#/components/schemas/ErrorBody"}).validate(res.json)


def test_every_database_route_lists_503(document):
    for method, path, op in _operations(document):
        assert ("503" in op["responses"]) == (path not in NO_DATABASE), (method, path)


def test_query_parameters_are_never_null_and_times_say_so(document):
    seen_time = False
    for method, path, op in _operations(document):
        for param in op["parameters"]:
            schema = json.dumps(param["schema"])
            assert '"null"' not in schema, (method, path, param)
            if param["name"] in ("since", "until"):
                assert param["schema"]["format"] == "date-time", (method, path, param)
                seen_time = True
    assert seen_time


def test_empty_text_filters_are_accepted_and_match_nothing(client, superadmin):
    for path, name in [("/logs", "action"), ("/security-events", "action"),
                       ("/analytics", "research_topic"), ("/images", "format"),
                       ("/images", "color_type")]:
        res = client.get(path, {name: ""}, headers=superadmin.headers, status="*")
        assert res.status_int == 200, (path, res.text)
        assert res.json["items"] == [], path
