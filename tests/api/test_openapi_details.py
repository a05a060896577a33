"""The details of GET /openapi.json a reader or a generator relies on: servers,
descriptions, response headers, the 405 of other methods, and the analytics
data schema; each checked against what the app really answers."""
from __future__ import annotations

import json
import re

from tests.api.helpers import call
from tests.api.test_openapi import (
    METHODS,
    PUBLIC,
    _operations,
    document,  # noqa: F401  (fixture)
)


def test_servers_are_relative(document):  # noqa: F811
    assert document["servers"] == [{"url": "/", "description": "This server"}]


def test_every_parameter_and_field_is_described(document):  # noqa: F811
    for method, path, op in _operations(document):
        for param in op["parameters"]:
            assert param.get("description"), (method, path, param["name"])
    for name, schema in document["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            assert prop.get("description"), (name, field)


def _headers(response):
    return set(response.get("headers", {}))


def test_every_response_declares_its_headers(document):  # noqa: F811
    assert set(document["components"]["headers"]) == {
        "X-Request-ID", "WWW-Authenticate", "Retry-After", "Idempotent-Replayed", "ETag"}
    for method, path, op in _operations(document):
        for status, response in op["responses"].items():
            headers = _headers(response)
            assert "X-Request-ID" in headers, (method, path, status)
            # 403: an API key's insufficient_scope says so in it too
            assert ("WWW-Authenticate" in headers) == (status == "401" or (
                status == "403" and op["security"] != [])), (method, path, status)
            assert ("Retry-After" in headers) == (status in ("429", "503")), \
                (method, path, status)
        ok = op["responses"][min(s for s in op["responses"] if int(s) < 300)]
        replayable = method == "post" and (method, path) not in {
            ("post", "/auth/login"), ("post", "/api-keys")}
        assert ("Idempotent-Replayed" in _headers(ok)) == replayable, (method, path)
        etag = path in ("/images/{image_id}/file", "/images/{image_id}/thumbnail")
        assert ("ETag" in _headers(ok)) == etag, (method, path)
        if etag:
            assert "ETag" in _headers(op["responses"]["304"])


def test_documented_headers_are_sent(client, alice):
    res = call(client, "GET", "/images")
    assert res.status_int == 401
    assert res.headers["WWW-Authenticate"].startswith("Bearer")
    assert res.headers["X-Request-ID"]
    key = {"Idempotency-Key": "docs-example-1"}
    body = {"action": "export", "module": "gallery"}
    first = call(client, "POST", "/logs", alice, json=body, headers=key)
    again = call(client, "POST", "/logs", alice, json=body, headers=key)
    assert (first.status_int, again.status_int) == (201, 201)
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"


def test_other_methods_answer_405_as_each_path_says(client, alice, document):  # noqa: F811
    checked = 0
    for path, item in document["paths"].items():
        served = sorted(m.upper() for m in item if m in METHODS)
        assert item["description"].startswith(f"Serves {', '.join(served)};"), path
        other = next(m for m in ("DELETE", "PUT", "PATCH", "POST") if m not in served)
        url = re.sub(r"\{\w+\}", "1", path)
        actor = None if any(p == path for _m, p in PUBLIC) else alice
        res = call(client, other, url, actor)
        assert res.status_int == 405, (other, path, res.status_int)
        assert set(res.headers["Allow"].replace(" ", "").split(",")) >= set(served), path
        checked += 1
    assert checked >= 20


def test_analytics_data_is_one_named_schema(document):  # noqa: F811
    text = json.dumps(document)
    assert '"anyOf": [{"type": "object"}, {"type": "array"}]' not in text
    schemas = document["components"]["schemas"]
    for name in ("AnalyticsCreateIn", "AnalyticsPatchIn"):
        data = schemas[name]["properties"]["data"]
        assert data["$ref"] == "#/components/schemas/JsonObjectOrArray", name


def test_analytics_data_still_refuses_scalars(client, alice):
    for data in (1, "text", None, True):
        res = call(client, "POST", "/analytics", alice,
                   json={"research_topic": "t", "data": data})
        assert res.status_int == 422, (data, res.text)
    for data in ({"a": 1}, [1, 2]):
        res = call(client, "POST", "/analytics", alice,
                   json={"research_topic": "t", "data": data})
        assert res.status_int == 201, (data, res.text)


def test_every_write_lists_507(document):  # noqa: F811
    for method, path, op in _operations(document):
        assert ("507" in op["responses"]) == (method != "get"), (method, path)


TIME_FIELDS = re.compile(r"(_at|^timestamp|^since|^until)$")


def test_every_time_field_says_date_time(document):  # noqa: F811
    seen = 0
    for name, schema in document["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if TIME_FIELDS.search(field):
                strings = [b for b in [prop, *prop.get("anyOf", ())] if b.get("type") == "string"]
                assert strings and all(b["format"] == "date-time" for b in strings), (
                    name, field)
                seen += 1
    assert seen >= 20


def test_fields_with_a_fixed_set_are_enums(document):  # noqa: F811
    schemas = document["components"]["schemas"]
    levels = {"debug", "info", "warning", "error", "critical"}
    for struct, field, values in [
            ("LogCreateIn", "level", levels),
            ("LogOut", "level", levels),
            ("TokenOut", "token_type", {"bearer"}),
            ("Health", "status", {"ok", "degraded"}),
            ("Health", "database", {"sqlite", "postgresql"}),
            ("UserCreateIn", "role", {"user", "admin"}),
            ("AdminPatchIn", "admin_level", {"moderator", "superadmin"}),
            ("ThumbnailQuery", "size", {64, 128, 256, 512})]:
        assert set(schemas[struct]["properties"][field]["enum"]) == values, (struct, field)
