"""JSON in and out of Bottle, with msgspec doing decoding and validation.

Request bodies and query strings are decoded straight into msgspec Structs,
the same Structs the OpenAPI document is generated from. msgspec's error
messages carry the field path (``... - at `$.owner.id```), which becomes the
``details`` of a 422 answer.
"""
from __future__ import annotations

import re
import msgspec
from bottle import request, response

from janus.errors import (BadRequest, JanusError, PayloadTooLarge, UnsupportedMediaType,
                          ValidationError)

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
_encoder = msgspec.json.Encoder()
_PATH_RE = re.compile(r"^(?P<message>.*) - at `(?P<path>[^`]*)`$", re.S)
_UNKNOWN_RE = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$")


def encode(obj) -> bytes:
    return _encoder.encode(obj)


def json_body(obj, status: int = 200) -> bytes:
    """Set status and content type on the current response; return the body."""
    return json_bytes(encode(obj), status)


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


def validation_error(exc: msgspec.ValidationError, root: str = "$") -> ValidationError:
    text = str(exc)
    match = _PATH_RE.match(text)
    message, path = (match["message"], match["path"]) if match else (text, "$")
    unknown = _UNKNOWN_RE.match(message)
    if unknown:  # point at the offending field itself, not its parent
        message, path = "unknown field", f"{path}.{unknown['name']}"
    if root != "$":
        path = root + path[1:]
    return ValidationError(f"{message} - at `{path}`", details=[{"path": path, "message": message}])


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
    try:
        return msgspec.json.decode(body, type=struct_type)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from None
    except msgspec.DecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None
    except UnicodeDecodeError:
        # msgspec reports invalid UTF-8 inside strings this way, not as a DecodeError.
        raise BadRequest("malformed JSON: the body is not valid UTF-8") from None


def read_query(struct_type):
    """Decode the query string into ``struct_type``; strings are coerced."""
    params = {}
    for key in request.query.keys():
        values = request.query.getall(key)
        if len(values) > 1:
            raise ValidationError.at(f"$.{key}", "given more than once")
        params[key] = values[0]
    try:
        return msgspec.convert(params, type=struct_type, strict=False)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from None
