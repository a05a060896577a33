"""Helpers shared by the HTTP tests: requests and the error envelope, image
uploads over HTTP, and the audit cases (every successful change) that
test_audit and test_openapi both run."""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
import secrets
import tempfile
import urllib.parse
from collections.abc import Callable
from unittest import mock

import webtest

from janus.config import Config
from janus.models import MODELS, Admin, User
from janus.web.app import create_app
from tests.images import photo_like, save
from tests.storage import backing_dir

PASSWORD = "correct horse battery"
CLIENT_IP = "198.51.100.7"
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


def fresh(actor_or_user) -> User:
    """The user's row as the database has it now."""
    return User.get_by_id(actor_or_user.id)


def snapshot(user_id: int) -> dict:
    """A user's row and admin row, to show a refused change changed nothing."""
    user = User.get_by_id(user_id)
    admin = Admin.get_or_none(Admin.user == user_id)
    return {**user.__data__, "admin_level": admin.admin_level if admin else None}


def row_counts() -> dict[str, int]:
    return {model._meta.table_name: model.select().count() for model in MODELS}


def image_body(**fields) -> dict:
    n = next(_seq)
    body = {"filename": f"photo{n}.png", "format": "PNG", "width": 640, "height": 480,
            "color_type": "RGB", "bit_depth": 8, "file_size": 1000 + n}
    body.update(fields)
    return body


def next_link(res) -> str | None:
    """The URL of a ``Link: <url>; rel="next"`` header, or None."""
    value = res.headers.get("Link")
    if value is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', value)
    assert match, value
    return match[1]


def walk(client, path: str, actor, limit: int = 3, **params) -> tuple[list[dict], int]:
    """Follow the ``Link: rel="next"`` header over HTTP, checking it is there
    exactly when ``next_cursor`` is and carries the same query with that
    cursor; return every item and the number of pages. ``count``: every
    page's ``total`` is the number of items in all (else null)."""
    query = {key: str(value).lower() if isinstance(value, bool) else str(value)
             for key, value in dict(params, limit=limit).items()}
    items, pages = [], 0
    res = call(client, "GET", path, actor, params=query)
    totals = set()
    while True:
        assert res.status_int == 200, res.text
        body = res.json
        assert set(body) == {"items", "next_cursor", "total"}
        assert len(body["items"]) <= limit
        totals.add(body["total"])
        pages += 1
        items.extend(body["items"])
        link = next_link(res)
        if body["next_cursor"] is None:
            assert link is None, link
            break
        assert body["items"], "a page with a next cursor must not be empty"
        url = urllib.parse.urlsplit(link)
        assert url.path == path, link
        assert dict(urllib.parse.parse_qsl(url.query)) == {**query,
                                                           "cursor": body["next_cursor"]}
        assert pages < 200, "pagination does not terminate"
        res = call(client, "GET", link, actor)
    assert totals == ({len(items)} if query.get("count") == "true" else {None}), totals
    return items, pages


def ids(items) -> list[int]:
    return [item["id"] for item in items]


# -- image uploads over HTTP -----------------------------------------------------------------
def upload(client, actor, data: bytes, filename: str = "upload.png", fields: dict | None = None,
           part_type: str | None = None, **kwargs):
    """POST /images as multipart/form-data with ``data`` in the ``file`` field
    (plus any other form ``fields``); never raises on the status."""
    part = ("file", filename, data) if part_type is None else ("file", filename, data, part_type)
    headers = dict(kwargs.pop("headers", {}) or {})
    if actor is not None:
        headers.update(actor.headers)
    return client.post("/images", params=fields or {}, upload_files=[part], headers=headers,
                       status="*", **kwargs)


def storage_dir(app):
    """The folder that holds what the app's store holds (tests/storage.py)."""
    return backing_dir(app.config["janus.config"])


def key_path(root, sha256: str):
    """Where the file store keeps the original with this SHA-256."""
    return root / sha256[:2] / sha256[2:4] / sha256


BOUNDARY = "janus-test-boundary"


def multipart(parts, boundary: str = BOUNDARY) -> bytes:
    """A multipart/form-data body built by hand: ``parts`` are
    (Content-Disposition parameters, content bytes), e.g.
    ('name="file"; filename="a.png"', data)."""
    dash = b"--" + boundary.encode()
    body = b"".join(dash + b"\r\nContent-Disposition: form-data; " + disposition.encode()
                    + b"\r\n\r\n" + content + b"\r\n" for disposition, content in parts)
    return body + dash + b"--\r\n"


def post_raw(client, actor, body: bytes, content_type: str, path: str = "/images"):
    """POST ``body`` exactly as given (webtest would re-encode a multipart body)."""
    headers = {"Content-Type": content_type}
    if actor is not None:
        headers.update(actor.headers)
    req = webtest.TestRequest.blank(path, method="POST", body=body, headers=headers,
                                    environ=dict(client.extra_environ))
    return client.do_request(req, status="*")


# -- the audit cases: every successful change, and what it logs ------------------
NEW_PASSWORD = "another fine passphrase"
SHA = "ab" * 32
UPLOADED_PNG = save(photo_like(21, (64, 48)), "PNG")  # in the world already
NEW_PNG = save(photo_like(22, (64, 48)), "PNG")  # uploaded by a case


def id_of(world, name):
    value = world[name]
    return value if isinstance(value, int) else value.id


@dataclasses.dataclass
class Expect:
    action: str
    object_type: str
    object_id: Callable  # (world, response json) -> id
    changes: Callable  # (world, response json) -> the expected "changes"


@dataclasses.dataclass
class Case:
    name: str
    actor: str
    method: str
    path: str
    body: dict | None
    status: int
    expect: list[Expect]
    logged_by: str | None = None  # default: the actor; "response": the new user
    files: list | None = None  # multipart upload parts instead of a JSON body

    def url(self, world):
        return self.path.format(**{k: id_of(world, k) for k in world if world[k] is not None})


def from_response(world, res):
    return res["id"]


def world_id(name):
    return lambda world, res: id_of(world, name)


SUCCESS = [
    Case("image created", "alice", "POST", "/images",
         image_body(filename="new.png", format="png"), 201,
         [Expect("image.created", "image", from_response,
                 lambda w, r: {"filename": "new.png", "format": "PNG"})]),
    Case("image uploaded", "alice", "POST", "/images", None, 201,
         [Expect("image.uploaded", "image", from_response,
                 lambda w, r: {"filename": "shot.png", "format": "PNG",
                               "sha256": hashlib.sha256(NEW_PNG).hexdigest(),
                               "file_size": len(NEW_PNG)})],
         files=[("file", "shot.png", NEW_PNG)]),
    Case("image analysed", "alice", "POST", "/images/{uploaded}/analysis?k=3", None, 201,
         [Expect("image.analysed", "analytics", from_response,
                 lambda w, r: {"image_id": w["uploaded"], "k": 3})]),
    Case("uploaded image deleted", "root", "DELETE", "/images/{uploaded}", None, 204,
         [Expect("image.deleted", "image", world_id("uploaded"),
                 lambda w, r: {"filename": "uploaded.png"})]),
    Case("image updated", "alice", "PATCH", "/images/{image}",
         {"filename": "renamed.png", "width": 800}, 200,
         [Expect("image.updated", "image", world_id("image"),
                 lambda w, r: {"filename": ["orig.png", "renamed.png"], "width": [640, 800]})]),
    Case("image updated by superadmin", "root", "PATCH", "/images/{image}",
         {"image_metadata": {"k": 1}}, 200,
         [Expect("image.updated", "image", world_id("image"),
                 lambda w, r: {"image_metadata": [{}, {"k": 1}]})]),
    Case("file image renamed", "alice", "PATCH", "/images/{file_image}",
         {"filename": "kept.png"}, 200,
         [Expect("image.updated", "image", world_id("file_image"),
                 lambda w, r: {"filename": ["upload.png", "kept.png"]})]),
    Case("image deleted", "alice", "DELETE", "/images/{image}", None, 204,
         [Expect("image.deleted", "image", world_id("image"),
                 lambda w, r: {"filename": "orig.png"})]),
    Case("analytics created", "alice", "POST", "/analytics",
         {"research_topic": "edges", "data": {"x": 1}, "image_id": "IMAGE"}, 201,
         [Expect("analytics.created", "analytics", from_response,
                 lambda w, r: {"research_topic": "edges", "image_id": w["image"]})]),
    Case("analytics updated", "alice", "PATCH", "/analytics/{analytics}",
         {"research_topic": "edges", "data": [1]}, 200,
         [Expect("analytics.updated", "analytics", world_id("analytics"),
                 lambda w, r: {"research_topic": ["colour", "edges"], "data": "changed"})]),
    Case("analytics unlinked by superadmin", "root", "PATCH", "/analytics/{analytics}",
         {"image_id": None}, 200,
         [Expect("analytics.updated", "analytics", world_id("analytics"),
                 lambda w, r: {"image_id": [w["image"], None]})]),
    Case("analytics deleted", "alice", "DELETE", "/analytics/{analytics}", None, 204,
         [Expect("analytics.deleted", "analytics", world_id("analytics"),
                 lambda w, r: {"research_topic": "colour"})]),
    Case("user created", "root", "POST", "/users",
         {"email": "New@Example.com", "username": "newbie", "password": NEW_PASSWORD}, 201,
         [Expect("user.created", "user", from_response,
                 lambda w, r: {"email": "new@example.com", "username": "newbie",
                               "is_active": True})]),
    Case("user created as admin", "root", "POST", "/users",
         {"email": "boss@example.com", "username": "boss", "password": NEW_PASSWORD,
          "role": "admin", "admin_level": "moderator"}, 201,
         [Expect("user.created", "user", from_response,
                 lambda w, r: {"email": "boss@example.com", "username": "boss",
                               "is_active": True}),
          Expect("admin.granted", "admin",
                 lambda w, r: Admin.get(Admin.user == r["id"]).id,
                 lambda w, r: {"user_id": r["id"], "admin_level": [None, "moderator"]})]),
    Case("user renames self", "alice", "PATCH", "/users/{alice}", {"username": "alice2"}, 200,
         [Expect("user.updated", "user", world_id("alice"),
                 lambda w, r: {"username": ["alice", "alice2"]})]),
    Case("user deactivated", "root", "PATCH", "/users/{bob}", {"is_active": False}, 200,
         [Expect("user.updated", "user", world_id("bob"),
                 lambda w, r: {"is_active": [True, False]})]),
    Case("user made admin", "root", "PATCH", "/users/{bob}", {"role": "admin"}, 200,
         [Expect("admin.granted", "admin", lambda w, r: Admin.get(Admin.user == r["id"]).id,
                 lambda w, r: {"user_id": id_of(w, "bob"), "admin_level": [None, "moderator"]})]),
    Case("user deleted", "root", "DELETE", "/users/{bob}", None, 204,
         [Expect("user.deleted", "user", world_id("bob"),
                 lambda w, r: {"email": "bob@example.com", "username": "bob"})]),
    Case("admin granted", "root", "POST", "/admins",
         {"user_id": "BOB", "admin_level": "moderator"}, 201,
         [Expect("admin.granted", "admin", from_response,
                 lambda w, r: {"user_id": id_of(w, "bob"), "admin_level": [None, "moderator"]})]),
    Case("admin promoted", "root", "PATCH", "/admins/{mod_admin}",
         {"admin_level": "superadmin"}, 200,
         [Expect("admin.granted", "admin", world_id("mod_admin"),
                 lambda w, r: {"user_id": id_of(w, "mod"),
                               "admin_level": ["moderator", "superadmin"]})]),
    Case("admin revoked", "root", "DELETE", "/admins/{mod_admin}", None, 204,
         [Expect("admin.revoked", "admin", world_id("mod_admin"),
                 lambda w, r: {"user_id": id_of(w, "mod"), "admin_level": ["moderator", None]})]),
    Case("registered", "anon", "POST", "/auth/register",
         {"email": "Fresh@Example.com", "username": "fresh", "password": NEW_PASSWORD}, 201,
         [Expect("user.registered", "user", from_response,
                 lambda w, r: {"email": "fresh@example.com", "username": "fresh"})],
         logged_by="response"),
    Case("password changed", "alice", "POST", "/auth/password",
         {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, 200,
         [Expect("user.password_changed", "user", world_id("alice"),
                 lambda w, r: {"password": "[redacted]", "revoked_tokens": 0})]),
    Case("security event reported", "mod", "POST", "/security-events",
         {"action": "gateway_block", "user_id": "ALICE", "ip": "203.0.113.9"}, 201,
         [Expect("security_event.reported", "security_event", from_response,
                 lambda w, r: {"action": "gateway_block", "user_id": id_of(w, "alice")})]),
]


def _body(case, world):
    if case.body is None:
        return None
    names = {"IMAGE": world["image"], "BOB": id_of(world, "bob"), "ALICE": id_of(world, "alice")}
    return {k: names.get(v, v) if isinstance(v, str) else v for k, v in case.body.items()}


def run_case(client, case, world):
    if case.files:
        return client.post(case.url(world), params={}, upload_files=case.files,
                           headers=world[case.actor].headers, status="*")
    return call(client, case.method, case.url(world), world[case.actor],
                json=_body(case, world))


# -- the app's route list, read at collection time ------------------------------
_PARAM_RE = re.compile(r"<(\w+)(?::\w+)?>")


def collection_app():
    """An app built without touching any database, and without create_app's
    process-wide side effects: at collection time they would reach every
    other test (cheap argon2 parameters, logging set up). For route lists."""
    env = {"DATABASE_URL": "sqlite:////nonexistent/collect-only.db",
           "JANUS_STORAGE_DIR": tempfile.mkdtemp(prefix="janus-collect-"),
           "JANUS_LOG_LEVEL": "WARNING",
           # set, so that no key file is generated in the data directory
           "JANUS_SECRET_KEY": "collect-only-" + "k" * 32}
    with (mock.patch("janus.web.app.init_database"), mock.patch("janus.passwords.configure"),
          mock.patch("janus.web.app.configure_logging"), mock.patch("janus.web.app.start_sweep"),
          mock.patch("janus.in_use.hold_shared")):
        return create_app(Config.from_env(env=env))


def _collect_specs():
    specs = collection_app().janus_api.specs
    return ([(spec.method, spec.path, spec.auth) for spec in specs],
            {(spec.method, spec.path): spec.scope for spec in specs if spec.auth})


# ROUTE_SCOPES: the API key scope of each authenticated route (None: refuses keys).
SPECS, ROUTE_SCOPES = _collect_specs()
AUTH_ROUTES = [(m, p) for m, p, auth in SPECS if auth]
PUBLIC = [(m, p) for m, p, auth in SPECS if not auth]
ID_ROUTES = [(m, p) for m, p in AUTH_ROUTES if _PARAM_RE.search(p)]


def key_headers(user, scopes, **fields) -> dict:
    """An API key of ``user`` with ``scopes`` (stored as POST /api-keys
    stores one: only its hash), as the Authorization header that sends it."""
    from janus.models import ApiKey
    plain = "jns_" + secrets.token_urlsafe(32)
    ApiKey.create(owner=user.id if hasattr(user, "id") else user, name="matrix",
                  prefix=plain[:12], key_hash=hashlib.sha256(plain.encode()).hexdigest(),
                  scopes=list(scopes), **fields)
    return {"Authorization": f"Bearer {plain}"}


def level_scopes(level: str | None) -> list[str]:
    """The admin scopes that let a key act at its owner's full ``level``."""
    return {None: [], "moderator": ["admin:read"],
            "superadmin": ["admin:read", "admin:write"]}[level]


def route_id(route) -> str:
    return f"{route[0]} {route[1]}"


def fill(path: str, value) -> str:
    return _PARAM_RE.sub(str(value), path)
