"""JSON in and out of Bottle, with msgspec doing decoding and validation.

Request bodies and query strings are decoded straight into msgspec Structs,
the same Structs the OpenAPI document is generated from. msgspec's error
messages carry the field path (``... - at `$.owner.id```), which becomes the
``details`` of a 422 answer.
"""
from __future__ import annotations

from types import GeneratorType

import msgspec
from bottle import HTTPResponse, request, response

from janus.errors import (
    BadRequest,
    JanusError,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationError,
)
from janus.schemas.validation import convert, decode_json

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
_encoder = msgspec.json.Encoder()


def encode(obj) -> bytes:
    return _encoder.encode(obj)


def json_body(obj, status: int = 200) -> bytes:
    """Set status and content type on the current response; return the body."""
    return json_bytes(encode(obj), status)


def result_body(result, status: int = 200):
    """A handler's result as the answer's body, the one encoding of the API
    (ErrorsPlugin; IdempotencyPlugin stores what this returns): None is a 204,
    bytes, an HTTPResponse and a generator (a streamed body) go as they are,
    anything else is JSON."""
    if result is None:
        response.status = 204
        return b""
    if isinstance(result, (bytes, HTTPResponse, GeneratorType)):
        return result
    return json_body(result, status)


def json_bytes(body: bytes, status: int = 200) -> bytes:
    """Send already encoded JSON (the OpenAPI document is encoded once)."""
    response.status = status
    response.content_type = JSON_CONTENT_TYPE
    return body


def error_response(exc: JanusError) -> bytes:
    """The one path from a typed error to the JSON envelope, for errors from a
    route and from Bottle itself: status, headers and ``{"error": ...}``."""
    for name, value in exc.headers.items():
        response.set_header(name, value)
    payload = exc.to_dict()
    payload["error"]["request_id"] = request.environ.get("janus.request_id", "-")
    return json_body(payload, exc.status)


def read_body(limit: int) -> bytes:
    """The raw request body, refusing more than ``limit`` bytes (413)."""
    env = request.environ
    if "janus.body" in env:
        return env["janus.body"]
    declared = request.content_length
    if declared > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes",
                              details={"limit": limit})
    stream = env["wsgi.input"]
    data = stream.read(declared) if declared >= 0 else stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes",
                              details={"limit": limit})
    env["janus.body"] = data
    return data


def media_type() -> str:
    return request.environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()


def read_json(struct_type, limit: int):
    """Decode the JSON body into ``struct_type`` (400 / 413 / 415 / 422)."""
    if media_type() != "application/json":
        raise UnsupportedMediaType("send the body as application/json",
                                   details={"content_type": media_type() or None})
    body = read_body(limit)
    if not body.strip():
        raise BadRequest("the request body is empty; send a JSON object")
    return decode_json(body, struct_type)


def _utf8(text: str, what: str) -> str:
    """WSGI hands the query string over as latin-1; clients send UTF-8."""
    try:
        return text.encode("latin1").decode("utf8")
    except UnicodeError:
        raise BadRequest(f"the query string is not UTF-8 ({what})") from None


def read_query(struct_type):
    """Decode the query string (UTF-8) into ``struct_type``; strings are coerced."""
    params = {}
    for key, value in request.query.allitems():
        key = _utf8(key, "a parameter name")
        if key in params:
            raise ValidationError.at(f"$.{key}", "given more than once")
        params[key] = _utf8(value, key)
    return convert(params, struct_type)
