"""Every integer a client sends, in a path, a query or a JSON body, is
range-checked in the one validation layer (issue 15, item 6): a value outside
the bounds the OpenAPI document states is a 422 naming it, one inside is
never refused for it (an id that names nothing is a 404), and none is a 5xx,
on either backend. Ids are 1..2**31-1, the range of PostgreSQL's ``integer``
id and foreign-key columns (janus.models.MAX_ID), on both backends.

The cases are read from the document at collection time, so a new route,
filter or body field is covered without editing this file; a new integer
without bounds in the document fails ``test_every_integer_has_its_bounds``.
"""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from janus.models import MAX_ID
from janus.repos.base import encode_cursor
from janus.web import openapi
from tests.api.helpers import assert_error, call, collection_app, error_paths

# The issue's value, past 64 bits; the edges of a 64-bit and a 32-bit
# integer (2**31 overflows PostgreSQL's int4); the last id; zero and below.
VALUES = (99999999999999999999, 2**63, 2**63 - 1, 2**31, MAX_ID, 0, -1)
_PARAM_RE = re.compile(r"\{(\w+)\}")
METHODS = ("get", "post", "put", "patch", "delete")
DOCUMENT = openapi.build(collection_app().janus_api)


def _integer(schema: dict) -> dict | None:
    """The integer branch of a parameter or property schema, if it has one."""
    if schema.get("type") == "integer":
        return schema
    return next((b for b in schema.get("anyOf", ()) if b.get("type") == "integer"), None)


def _collect() -> list[tuple]:
    """(where, method, path, name, schema, example body) for every integer
    a client can send: path and query parameters, JSON body properties."""
    schemas = DOCUMENT["components"]["schemas"]
    cases = []
    for path, item in DOCUMENT["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            for param in op.get("parameters", ()):
                schema = _integer(param["schema"])
                if schema is not None and param["in"] in ("path", "query"):
                    cases.append((param["in"], method, path, param["name"], schema, None))
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            component = schemas[body["schema"]["$ref"].rsplit("/", 1)[1]]
            for name, prop in component.get("properties", {}).items():
                schema = _integer(prop)
                if schema is not None:
                    cases.append(("body", method, path, name, schema, body.get("example")))
    return cases


CASES = _collect()


def case_id(case) -> str:
    where, method, path, name = case[:4]
    return f"{method.upper()} {path} {where}:{name}"


def allowed(schema: dict, value: int) -> bool:
    if "enum" in schema:
        return value in schema["enum"]
    return schema["minimum"] <= value <= schema["maximum"]


def request_for(case, value: int):
    """(method, url, json body) sending ``value`` as the case's integer;
    every other id in the path is 1."""
    where, method, path, name, _, example = case
    url = _PARAM_RE.sub(lambda m: str(value) if (where, m[1]) == ("path", name) else "1", path)
    if where == "query":
        url += f"?{name}={value}"
    body = {**(example or {}), name: value} if where == "body" else None
    if body is None and method in ("post", "put", "patch") and example is not None:
        body = example
    return method, url, body


def test_the_cases_cover_ids_filters_and_bodies():
    found = {(where, name) for where, _, _, name, _, _ in CASES}
    assert {("path", "user_id"), ("path", "image_id"), ("path", "admin_id"),
            ("query", "user_id"), ("query", "owner_id"), ("query", "image_id"),
            ("query", "limit"), ("query", "k"), ("query", "days"),
            ("body", "user_id"), ("body", "image_id"), ("body", "width"),
            ("body", "file_size")} <= found


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_integer_has_its_bounds(case):
    """What fuzzing generates from: the document states every bound."""
    schema = case[4]
    assert "enum" in schema or {"minimum", "maximum"} <= set(schema), schema


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_422_is_documented(case):
    """Schemathesis flags a status the document does not list."""
    _, method, path = case[:3]
    assert "422" in DOCUMENT["paths"][path][method]["responses"]


def test_ids_are_bounded_alike_everywhere():
    ids = [case for case in CASES if case[3].endswith("_id")]
    assert ids
    for case in ids:
        assert (case[4]["minimum"], case[4]["maximum"]) == (1, MAX_ID), case_id(case)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_out_of_range_is_a_422_naming_it_and_never_a_5xx(client, superadmin, case):
    name, schema = case[3], case[4]
    for value in VALUES:
        method, url, body = request_for(case, value)
        res = call(client, method, url, superadmin, json=body)
        assert res.status_int < 500, (value, res.text)
        if not allowed(schema, value):
            error = assert_error(res, 422, "validation_error")
            assert error_paths(error) == [f"$.{name}"], (value, error)
        elif res.status_int == 422:  # refused for another reason (a dangling reference)
            assert f"$.{name}" not in error_paths(res.json["error"]), (value, res.text)


# The requests of the issue, verbatim, as a plain user and as a superadmin.
ISSUE = ("/logs?user_id=99999999999999999999", "/images?owner_id=99999999999999999999",
         "/analytics?user_id=99999999999999999999",
         "/security-events?user_id=99999999999999999999")


@pytest.mark.parametrize("who", ["alice", "superadmin"])
@pytest.mark.parametrize("url", ISSUE)
def test_the_issues_64_bit_ids_are_422(client, alice, superadmin, who, url):
    actor = {"alice": alice, "superadmin": superadmin}[who]
    res = call(client, "GET", url, actor)
    error = assert_error(res, 422, "validation_error")
    assert error_paths(error) == ["$." + url.split("?")[1].split("=")[0]]


@pytest.mark.parametrize("path", ["/users/{user_id}", "/images/{image_id}", "/logs/{log_id}",
                                  "/admins/{admin_id}"])
def test_an_id_in_range_that_names_nothing_is_a_404_one_past_it_a_422(client, superadmin,
                                                                       path):
    name = _PARAM_RE.search(path)[1]
    res = call(client, "GET", path.replace(f"{{{name}}}", str(MAX_ID)), superadmin)
    assert_error(res, 404, "not_found")
    res = call(client, "GET", path.replace(f"{{{name}}}", str(MAX_ID + 1)), superadmin)
    assert error_paths(assert_error(res, 422, "validation_error")) == [f"$.{name}"]


# The list routes, read from the document: those that take a cursor.
CURSORED = [path for path, item in DOCUMENT["paths"].items()
            if any(p["name"] == "cursor" for p in item.get("get", {}).get("parameters", ()))]


def test_every_list_takes_a_cursor():
    assert {"/users", "/admins", "/images", "/logs", "/analytics", "/security-events"} <= \
        set(CURSORED)


def _default_sort(path: str) -> str:
    """The list's default order (newest first), as the document says."""
    params = DOCUMENT["paths"][path]["get"]["parameters"]
    return next(p["schema"]["default"] for p in params if p["name"] == "sort")


@pytest.mark.parametrize("path", CURSORED)
def test_a_cursor_naming_an_id_out_of_range_is_a_422(client, superadmin, path):
    """A cursor is opaque, but a client can forge one: the id inside it has
    the same range as any other id."""
    for value in VALUES:
        cursor = encode_cursor(_default_sort(path), datetime(2026, 1, 1), value)
        res = call(client, "GET", f"{path}?cursor={cursor}", superadmin)
        if 1 <= value <= MAX_ID:
            assert res.status_int == 200, (value, res.text)
        else:
            error = assert_error(res, 422, "validation_error")
            assert error_paths(error) == ["$.cursor"], (value, error)
