"""Small helpers shared by the HTTP tests of images, logs, analytics,
security events, errors, audit, OpenAPI and operations."""
from __future__ import annotations

import itertools
import logging

import pytest

from janus.models import MODELS

_seq = itertools.count(1)


def call(client, method: str, path: str, actor=None, json=None, **kwargs):
    """One request; never raises on the status (tests assert it first)."""
    headers = dict(kwargs.pop("headers", {}) or {})
    if actor is not None:
        headers.update(actor.headers)
    kwargs.setdefault("status", "*")
    method = method.upper()
    if json is not None:
        sender = getattr(client, f"{method.lower()}_json")
        return sender(path, json, headers=headers, **kwargs)
    return getattr(client, method.lower())(path, headers=headers, **kwargs)


def assert_error(res, status: int, code: str) -> dict:
    """The JSON error envelope, with the request id of the response."""
    assert res.status_int == status, res.text
    assert res.content_type == "application/json", res.headers
    body = res.json
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    assert error["request_id"] == res.headers["X-Request-ID"], (error, res.headers)
    assert set(error) <= {"code", "message", "details", "request_id"}, error
    return error


def error_paths(error: dict) -> list[str]:
    return [item["path"] for item in error.get("details") or []]


def row_counts() -> dict[str, int]:
    return {model._meta.table_name: model.select().count() for model in MODELS}


def image_body(**fields) -> dict:
    n = next(_seq)
    body = {"filename": f"photo{n}.png", "format": "PNG", "width": 640, "height": 480,
            "color_type": "RGB", "bit_depth": 8, "file_size": 1000 + n}
    body.update(fields)
    return body


def walk(client, path: str, actor, limit: int = 3, **params) -> tuple[list[dict], int]:
    """Follow next_cursor over HTTP; return every item and the number of pages."""
    items, cursor, pages = [], None, 0
    while True:
        query = dict(params, limit=limit)
        if cursor:
            query["cursor"] = cursor
        res = call(client, "GET", path, actor, params=query)
        assert res.status_int == 200, res.text
        body = res.json
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= limit
        pages += 1
        items.extend(body["items"])
        if body["next_cursor"] is None:
            return items, pages
        assert body["items"], "a page with a next cursor must not be empty"
        cursor = body["next_cursor"]
        assert pages < 200, "pagination does not terminate"


def ids(items) -> list[int]:
    return [item["id"] for item in items]


@pytest.fixture
def janus_log(app, caplog, monkeypatch):
    """caplog, fed by the "janus" logger (which does not propagate to root)."""
    logger = logging.getLogger("janus")
    monkeypatch.setattr(logger, "propagate", False)
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)
