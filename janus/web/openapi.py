"""GET /openapi.json: an OpenAPI 3.1 document built from the route registry.

Request and response shapes are the msgspec Structs the routes decode and
encode with, so the document cannot describe a body the API does not accept.
"""
from __future__ import annotations

import re
import typing
from typing import Any

import msgspec

from janus.schemas.common import Id
from janus.scopes import SCOPES
from janus.services.idempotency import HEADER as IDEMPOTENCY_HEADER
from janus.web import idempotency
from janus.web.jsonio import encode, json_bytes
from janus.web.openapi_fields import describe_fields
from janus.web.registry import JSON

_PARAM_RE = re.compile(r"<(\w+)(?::(\w+))?>")
# An integer in a path is an id, checked as one (janus.schemas.validation.path_ids).
_ID_SCHEMA = msgspec.json.schema(Id)
_REASONS = {200: "OK", 201: "Created", 204: "No content", 304: "Not modified",
            400: "Malformed request",
            401: "Not authenticated: a missing, invalid, expired or revoked token, or (login) "
                 "wrong credentials",
            403: "Not allowed for this role (on login: email_not_verified, the email "
                 "awaits its mailed link; with an API key: insufficient_scope, the key "
                 "lacks the operation's x-scope or the operation refuses keys)",
            404: "No such object (or not yours)",
            405: "Method not allowed", 409: "Conflict with existing data",
            413: "Body too large", 415: "Unsupported media type",
            422: "Validation failed; details name the field path",
            429: "Too many requests; see Retry-After", 500: "Internal error",
            503: "Database or file store unavailable, too many image decodes under way "
                 "(uploads, analyses, thumbnails) or exports streaming, or database not "
                 "migrated (or, on "
                 "/health, degraded); "
                 "see Retry-After",
            507: "The file store or the database is full; nothing was stored"}


IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
    "description": "Any unique string (a UUID). A retry with the same key and the same "
                   "body gets the first answer again (with Idempotent-Replayed: true) and "
                   "changes nothing; the same key with another body is a 422. Keys are "
                   "scoped to the user (to the client address on public routes) and kept "
                   "for JANUS_IDEMPOTENCY_TTL_SECONDS.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": "^[\\x21-\\x7E]+$"},
}


# Response headers, declared once under components/headers.
HEADERS = {
    "X-Request-ID": {"description": "The request's id: the client's own X-Request-ID if it "
                     "sent a valid one, else a new one. Every response carries it; error "
                     "bodies repeat it as error.request_id.",
                     "schema": {"type": "string"}},
    "WWW-Authenticate": {"description": "Bearer (error=\"invalid_token\" when a token was "
                         "sent but refused; on a 403, error=\"insufficient_scope\" and the "
                         "scope when an API key lacks it).", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer", "minimum": 1}},
    "Idempotent-Replayed": {"description": "true when this is the stored answer to an "
                            "earlier request with the same Idempotency-Key.",
                            "schema": {"type": "string", "enum": ["true"]}},
    "ETag": {"description": "Entity tag of the bytes; send it back in If-None-Match to get "
             "a 304.", "schema": {"type": "string"}},
}
# Where an error status carries a header of its own.
ERROR_HEADERS = {401: "WWW-Authenticate", 429: "Retry-After", 503: "Retry-After"}
# "Any JSON object or array": one named schema rather than anyOf[object, array],
# which client generators (openapi-python-client) cannot model and drop the
# operation. The API still refuses anything else with a 422.
JSON_CONTAINER = "JsonObjectOrArray"
JSON_CONTAINER_SCHEMA = {
    "title": JSON_CONTAINER,
    "description": "Any JSON object or array (a scalar is refused with a 422).",
}
_OBJECT_OR_ARRAY = [{"type": "object"}, {"type": "array"}]
PARAMETER_DESCRIPTIONS = {
    "limit": "Items per page.",
    "cursor": "next_cursor of the previous page, with the same sort; omit for the first "
              "page.",
    "since": "Only items at or after this time (RFC 3339).",
    "until": "Only items before this time (RFC 3339).",
    "name": "File name.",
}


def _header_refs(*names: str) -> dict:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _container_refs(node) -> None:
    """Replace every anyOf[object, array] by a reference to JSON_CONTAINER."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if isinstance(value, dict) and value.get("anyOf") == _OBJECT_OR_ARRAY:
                rest = {k: v for k, v in value.items() if k != "anyOf"}
                node[key] = {"$ref": f"#/components/schemas/{JSON_CONTAINER}", **rest}
            elif isinstance(value, dict) and value.get("anyOf"):
                value["anyOf"] = [
                    {"$ref": f"#/components/schemas/{JSON_CONTAINER}"} if b == _OBJECT_OR_ARRAY
                    else b for b in value["anyOf"]]
                _container_refs(value)
            else:
                _container_refs(value)
    elif isinstance(node, list):
        for item in node:
            _container_refs(item)


class ErrorObject(msgspec.Struct):
    code: str
    message: str
    request_id: str
    details: Any = None


class ErrorBody(msgspec.Struct):
    error: ErrorObject


def _path(bottle_path: str) -> tuple[str, list[dict]]:
    params = [{"name": name, "in": "path", "required": True,
               "description": PARAMETER_DESCRIPTIONS.get(
                   name, f"Id of the {name.removesuffix('_id').replace('_', ' ')}."),
               "schema": dict(_ID_SCHEMA) if kind == "int" else {"type": "string"}}
              for name, kind in _PARAM_RE.findall(bottle_path)]
    return _PARAM_RE.sub(r"{\1}", bottle_path), params


def _not_null(schema: dict) -> dict:
    """A query parameter is absent or a string, never JSON null: drop the null
    branch msgspec writes for ``X | None = None``."""
    branches = [b for b in schema.get("anyOf", ()) if b != {"type": "null"}]
    if len(branches) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    if schema.get("default") is not None:
        rest["default"] = schema["default"]
    return {**branches[0], **rest}


def _query_params(query_type, components) -> list[dict]:
    if query_type is None:
        return []
    schema = components[query_type.__name__]
    required = set(schema.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required,
             "description": prop.get("description") or PARAMETER_DESCRIPTIONS.get(
                 name, f"Only items whose {name.replace('_', ' ')} is this."),
             "schema": _not_null(prop)}
            for name, prop in schema.get("properties", {}).items()]


def _nested(types) -> set:
    """``types`` and the Structs their fields hold (a page's items), at any depth."""
    seen, todo = set(), list(types)
    while todo:
        struct = todo.pop()
        if struct in seen:
            continue
        seen.add(struct)
        for field in msgspec.structs.fields(struct):
            todo.extend(arg for arg in (field.type, *typing.get_args(field.type))
                        if isinstance(arg, type) and issubclass(arg, msgspec.Struct))
    return seen


def _mark_times(types, components) -> None:
    """msgspec writes datetimes as plain strings: say they are RFC 3339 times."""
    for struct in _nested(types):
        props = components.get(struct.__name__, {}).get("properties", {})
        for field in msgspec.structs.fields(struct):
            if "datetime" not in repr(field.type):
                continue
            prop = props.get(field.encode_name, {})
            for branch in [prop, *prop.get("anyOf", ())]:
                if branch.get("type") == "string":
                    branch["format"] = "date-time"


def _content(media: str, model) -> dict:
    if media != JSON:
        return {media: {"schema": {"type": "string", "contentMediaType": media}}}
    if model is bytes:
        return {media: {"schema": {"type": "string"}}}
    return {media: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}


def _media(spec) -> tuple[str, ...]:
    media = spec.response_media
    return media if isinstance(media, tuple) else (media,)


def _form_schema(form) -> dict:
    """A multipart form: bytes fields are files, the rest plain strings."""
    fields = msgspec.structs.fields(form)
    return {"type": "object", "description": (form.__doc__ or "").strip(),
            "required": [f.encode_name for f in fields if f.required],
            # Part names go into a Content-Disposition header: no NUL, CR or LF
            # (the parser refuses those with a 400).
            "propertyNames": {"pattern": "^[^\\u0000\\r\\n]*$"},
            "properties": {f.encode_name: ({"type": "string",
                                            "contentMediaType": "application/octet-stream"}
                                           if f.type is bytes else {"type": "string"})
                           for f in fields}}


def _security(spec) -> list[dict]:
    """A login token, or an API key holding the route's scope (OpenAPI 3.1
    lets a non-OAuth scheme name the roles it needs)."""
    if not spec.auth:
        return []
    if spec.scope is None:
        return [{"bearerAuth": []}]
    return [{"bearerAuth": []}, {"apiKeyAuth": [spec.scope]}]


def build(api, version: str = "1.0.0") -> dict:
    types = {ErrorBody}
    for spec in api.specs:
        if spec.body is not None and spec.body_media == JSON:
            types.add(spec.body)
        if spec.response is not None and JSON in _media(spec):
            types.add(spec.response)
        if spec.query is not None:
            types.add(spec.query)
        types.update(spec.error_responses.values())
        types.update(spec.other_responses.values())
    _, components = msgspec.json.schema_components(
        sorted(types, key=lambda t: t.__name__), ref_template="#/components/schemas/{name}")
    _mark_times(types, components)
    _container_refs(components)
    describe_fields(components)
    components[JSON_CONTAINER] = JSON_CONTAINER_SCHEMA
    paths: dict = {}
    for spec in api.specs:
        path, params = _path(spec.path)
        params += _query_params(spec.query, components)
        op: dict = {"operationId": spec.callback.__name__, "summary": spec.summary,
                    "tags": [spec.tag], "parameters": params, "security": _security(spec)}
        if spec.auth:  # the API key scope it needs, or "none": login tokens only
            op["x-scope"] = spec.scope or "none"
        if spec.description:
            op["description"] = spec.description
        if idempotency.applies(spec):
            params.append(IDEMPOTENCY_PARAMETER)
        if spec.body is not None:
            content = _content(spec.body_media, spec.body)
            if spec.upload is not None:
                content["multipart/form-data"] = {"schema": _form_schema(spec.upload)}
            if spec.example is not None and spec.body_media == JSON:
                content[JSON]["example"] = spec.example
            op["requestBody"] = {"required": True, "content": content}
        ok: dict = {"description": _REASONS.get(spec.status, "OK")}
        own_headers = {name: {"description": text, "schema": {"type": "string"}}
                       for name, text in spec.headers.items()}
        ok["headers"] = {**_header_refs("X-Request-ID", *(
            ["Idempotent-Replayed"] if idempotency.applies(spec) else [])), **own_headers}
        if spec.response is not None:
            ok["content"] = {}
            for media in _media(spec):
                ok["content"].update(_content(media, spec.response))
        elif spec.status != 204:
            # A body without a Struct of its own (this document): say at least what it is.
            ok["content"] = {spec.response_media: {"schema": {"type": "object"}}}
        responses = {str(spec.status): ok}
        for status, struct in spec.other_responses.items():
            responses[str(status)] = {"description": _REASONS.get(status, "OK"),
                                      "headers": ok["headers"],
                                      "content": _content(JSON, struct)}
        errors = set(spec.errors) | {500}
        if spec.database:
            errors.add(503)  # the database is down or not migrated
            if spec.method != "GET":
                errors.add(507)  # a write on a full disk
        if spec.auth:
            errors.update({401, 403})  # 403: an API key without the scope
        if spec.body is not None:
            errors.update({400, 413, 415, 422})
        if spec.query is not None or any(kind == "int" for _, kind in
                                         _PARAM_RE.findall(spec.path)):
            errors.add(422)  # a query, or an id in the path, out of range
        if idempotency.applies(spec):
            errors.add(422)  # a malformed Idempotency-Key, even on a POST without a body
        for status in sorted(errors):
            extra = [ERROR_HEADERS[status]] if status in ERROR_HEADERS else []
            if status == 403 and spec.auth:  # an API key's insufficient_scope
                extra.append("WWW-Authenticate")
            body = {"description": _REASONS.get(status, "Error"),
                    "headers": _header_refs("X-Request-ID", *extra)}
            if status == 304:
                body["headers"].update(own_headers)
            else:
                body["content"] = _content(JSON, ErrorBody)
            if status in spec.error_responses:  # that body, or the error envelope
                body["content"][JSON]["schema"] = {"oneOf": [
                    _content(JSON, spec.error_responses[status])[JSON]["schema"],
                    body["content"][JSON]["schema"]]}
            responses[str(status)] = body
        op["responses"] = responses
        paths.setdefault(path, {})[spec.method.lower()] = op
    for item in paths.values():
        served = ", ".join(sorted(m.upper() for m in item))
        item["description"] = (f"Serves {served}; any other method answers 405 with the "
                               "error envelope (and an Allow header).")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Janus", "version": version,
                 "description": "Data service of an image-processing application."},
        # Relative: the document is right wherever the service is mounted.
        "servers": [{"url": "/", "description": "This server"}],
        "paths": paths,
        "components": {"schemas": components, "headers": HEADERS, "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "Token from POST /auth/login"},
            "apiKeyAuth": {"type": "http", "scheme": "bearer",
                           "description": "An API key from POST /api-keys (jns_...), sent "
                                          "the same way; it needs the scope the operation "
                                          "names (x-scope): " + ", ".join(SCOPES)}}},
    }


def register(api) -> None:
    """Serve the document, encoded once at start-up. Register this last: the
    document describes the routes registered before it (and itself)."""
    encoded: list[bytes] = []

    @api.route("GET", "/openapi.json", summary="This OpenAPI 3.1 document", tag="meta",
               auth=False, database=False)
    def openapi_document():
        return json_bytes(encoded[0])

    encoded.append(encode(build(api)))
