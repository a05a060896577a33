"""The access matrix, built from the app's own route list.

``app.janus_api.specs`` is read at collection time, so a new route is
parametrised here without anyone editing this file:

- every route with ``auth=True`` refuses a missing, malformed, unknown,
  expired, revoked or deactivated-account token with 401, the JSON error
  envelope and a ``WWW-Authenticate`` header;
- every route with an id in its path is exercised by the owner, another
  user, a moderator and a superadmin against an object owned by alice. Those
  routes need an entry in ``OBJECT_ROUTES`` (how to make the object, what a
  PATCH sends): a route without one fails loudly instead of going untested;
- every public route has an entry in ``PUBLIC_ROUTES`` and works anonymously;
- API keys: every authenticated route refuses (403 ``insufficient_scope``,
  nothing written) a key without the scope its spec declares, and a key
  with it answers as its owner's login token does: the object matrix runs
  with both; an unknown, expired or revoked key, or one whose owner is
  deactivated, is a 401 everywhere.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from PIL import Image as PILImage

from janus.models import (
    Admin,
    Analytics,
    ApiKey,
    AuthToken,
    EmailVerification,
    Image,
    Log,
    PasswordReset,
    SecurityEvent,
    Session,
    User,
    utcnow,
)
from janus.repos.logs import logs
from janus.repos.security import security_events
from janus.scopes import SCOPES
from janus.services.auth import issue_token
from tests.api.helpers import (
    AUTH_ROUTES,
    ID_ROUTES,
    PASSWORD,
    PUBLIC,
    ROUTE_SCOPES,
    SPECS,
    fill,
    key_headers,
    level_scopes,
    route_id,
)
from tests.api.helpers import assert_error as error_of
from tests.helpers import make_analytics, make_image


def send(client, method: str, path: str, headers: dict, status, body=None):
    if method in ("POST", "PUT", "PATCH"):
        return client.request(path, method=method, headers=headers, status=status,
                              body=b"{}" if body is None else body,
                              content_type="application/json")
    return client.request(path, method=method, headers=headers, status=status)


def test_the_collected_routes_are_the_apps_routes(app):
    """The matrix parametrises from a collection-time app: it must be this app."""
    assert [(s.method, s.path, s.auth) for s in app.janus_api.specs] == SPECS
    assert {(s.method, s.path): s.scope for s in app.janus_api.specs if s.auth} == ROUTE_SCOPES
    assert len(AUTH_ROUTES) > 20 and ID_ROUTES


# -- 1. authentication: every protected route ----------------------------------------
def _token(make_actor, how: str) -> str:
    actor = make_actor(active=(how != "deactivated"))
    row = AuthToken.get(AuthToken.user == actor.id)
    if how == "expired":
        AuthToken.update(expires_at=utcnow() - timedelta(seconds=1)) \
            .where(AuthToken.id == row.id).execute()
    elif how == "revoked":
        AuthToken.update(revoked_at=utcnow()).where(AuthToken.id == row.id).execute()
    return actor.token


CREDENTIALS = {
    "anonymous": lambda make_actor: {},
    "empty_bearer": lambda make_actor: {"Authorization": "Bearer "},
    "basic": lambda make_actor: {
        "Authorization": "Basic " + base64.b64encode(b"alice:" + PASSWORD.encode()).decode()},
    "garbage": lambda make_actor: {"Authorization": "Bearer not-a-token-we-issued"},
    "expired": lambda make_actor: {"Authorization": f"Bearer {_token(make_actor, 'expired')}"},
    "revoked": lambda make_actor: {"Authorization": f"Bearer {_token(make_actor, 'revoked')}"},
    "deactivated": lambda make_actor: {
        "Authorization": f"Bearer {_token(make_actor, 'deactivated')}"},
    # API keys holding every scope, dead for each reason a key dies.
    "key_unknown": lambda make_actor: {"Authorization": "Bearer jns_not-a-key-we-issued"},
    "key_expired": lambda make_actor: key_headers(
        make_actor("superadmin").user, SCOPES, expires_at=utcnow() - timedelta(seconds=1)),
    "key_revoked": lambda make_actor: key_headers(
        make_actor("superadmin").user, SCOPES, revoked_at=utcnow()),
    "key_owner_deactivated": lambda make_actor: key_headers(
        make_actor("superadmin", active=False).user, SCOPES),
}


@pytest.mark.parametrize("credential", list(CREDENTIALS))
@pytest.mark.parametrize("route", AUTH_ROUTES, ids=route_id)
def test_protected_routes_refuse_bad_credentials(client, make_actor, route, credential):
    method, path = route
    victim = make_actor(name="victim")
    headers = CREDENTIALS[credential](make_actor)
    counts = {m: m.select().count() for m in (User, Admin, Image, Log, Analytics)}
    res = send(client, method, fill(path, victim.id), headers, 401)
    error_of(res, 401, "unauthorized")
    assert res.headers["WWW-Authenticate"].startswith("Bearer")
    # Refused before the handler ran: nothing was written.
    assert {m: m.select().count() for m in counts} == counts
    assert User.get_by_id(victim.id).username == "victim"


# -- 2. objects: who may read and change what -------------------------------------
@dataclasses.dataclass
class Made:
    model: type
    id: int
    owner: object  # the Actor who owns it


@dataclasses.dataclass
class ObjectRoute:
    make: Callable  # (actors) -> Made
    admin_only: bool = False  # admins' rows: plain users get 403, not 404
    patch: dict | None = None
    check: Callable | None = None  # (response, made) -> bool for a successful answer
    # A POST on the object: its success status, and whether it reads the
    # object (anyone who sees it may) or writes it (owner or superadmin).
    post: tuple[int, str] | None = None
    # Only its owner sees it, admins included (a session): 404 for anyone else.
    own_only: bool = False


def _own_user(actors):
    return Made(User, actors["alice"].id, actors["alice"])


def _alices_image(actors):
    return Made(Image, make_image(actors["alice"].user).id, actors["alice"])


def _alices_upload(actors):
    """An image alice uploaded (with a stored file and a perceptual hash)."""
    out = io.BytesIO()
    PILImage.linear_gradient("L").convert("RGB").resize((64, 48)).save(out, "PNG")
    res = actors["client"].post("/images", upload_files=[("file", "grad.png", out.getvalue())],
                                headers=actors["alice"].headers, status=201)
    assert res.json["has_file"] is True
    return Made(Image, res.json["id"], actors["alice"])


def _alices_analytics(actors):
    row = make_analytics("matrix", {"n": 1}, user=actors["alice"].id)
    return Made(Analytics, row.id, actors["alice"])


def _alices_log(actors):
    row = logs.record("matrix.touched", "matrix", user=actors["alice"].user)
    return Made(Log, row.id, actors["alice"])


def _alices_security_event(actors):
    row = security_events.record("matrix_event", user=actors["alice"].user,
                                 account="alice@example.com", ip="192.0.2.1")
    return Made(SecurityEvent, row.id, actors["alice"])


def _alices_key(actors):
    key_headers(actors["alice"].user, ["images:read"])
    return Made(ApiKey, ApiKey.select().order_by(ApiKey.id.desc()).get().id, actors["alice"])
def _alices_session(actors):
    """Another login token of alice's, by its id in the sessions view."""
    return Made(Session, 2 * issue_token(actors["alice"].user, 3600).row.id, actors["alice"])


def _an_admin(actors):
    target = actors["make"]("moderator", name="target")
    return Made(Admin, Admin.get(Admin.user == target.id).id, target)


OBJECT_ROUTES = {
    "/users/<user_id:int>": ObjectRoute(_own_user, patch={"username": "renamed"}),
    "/users/<user_id:int>/activity": ObjectRoute(
        _own_user, check=lambda res, made: res.json["user_id"] == made.id),
    "/images/<image_id:int>": ObjectRoute(_alices_image, patch={"filename": "renamed.png"}),
    "/images/<image_id:int>/file": ObjectRoute(
        _alices_upload, check=lambda res, made: res.content_type == "image/png"
        and res.body.startswith(b"\x89PNG")),
    "/images/<image_id:int>/thumbnail": ObjectRoute(
        _alices_upload, check=lambda res, made: res.content_type == "image/webp"
        and res.body[8:12] == b"WEBP"),
    # Analysing an image you can see stores an analytics row of your own.
    "/images/<image_id:int>/analysis": ObjectRoute(
        _alices_upload, post=(201, "read"),
        check=lambda res, made: res.json["image_id"] == made.id),
    "/images/<image_id:int>/similar": ObjectRoute(
        _alices_upload, check=lambda res, made: res.json["image_id"] == made.id),
    "/analytics/<record_id:int>": ObjectRoute(_alices_analytics,
                                              patch={"research_topic": "renamed"}),
    "/logs/<log_id:int>": ObjectRoute(_alices_log),
    "/security-events/<event_id:int>": ObjectRoute(_alices_security_event),
    "/admins/<admin_id:int>": ObjectRoute(_an_admin, admin_only=True,
                                          patch={"admin_level": "superadmin"}),
    # A revoke: the row stays, revoked (checked below).
    "/api-keys/<key_id:int>": ObjectRoute(_alices_key),
    "/auth/sessions/<session_id:int>": ObjectRoute(_alices_session, own_only=True),
}

ACTORS = ("owner", "other", "moderator", "superadmin")


def expected_status(entry: ObjectRoute, method: str, who: str) -> int:
    if method == "POST":
        success, reads = entry.post[0], entry.post[1] == "read"
    else:
        success, reads = {"GET": 200, "PATCH": 200, "DELETE": 204}[method], method == "GET"
    if entry.own_only:
        return success if who == "owner" else 404
    if who == "superadmin":
        return success
    if entry.admin_only:
        # Admins' rows: only admins read them, only a superadmin changes them.
        if who == "other":
            return 403
        return success if reads else 403
    if who == "owner":
        return success
    if who == "other":
        return 404  # someone else's object looks like no object at all
    return success if reads else 403  # moderator: reads all, changes nothing


def test_every_object_route_has_a_setup():
    """A new route with an id in its path must say how to make its object."""
    paths = {path for _method, path in ID_ROUTES}
    missing = sorted(paths - set(OBJECT_ROUTES))
    assert not missing, f"add these routes to OBJECT_ROUTES in {__file__}: {missing}"
    stale = sorted(set(OBJECT_ROUTES) - paths)
    assert not stale, f"OBJECT_ROUTES names routes the app no longer has: {stale}"
    for method, path in ID_ROUTES:
        assert method in ("GET", "POST", "PATCH", "DELETE"), \
            f"decide the matrix for {method} {path}"
        if method == "PATCH":
            assert OBJECT_ROUTES[path].patch, f"give {path} a PATCH body"
        if method == "POST":
            assert OBJECT_ROUTES[path].post, f"say what POST {path} answers and whether it writes"


def _row(made: Made):
    row = made.model.get_or_none(made.model.id == made.id)
    return None if row is None else dict(row.__data__)


@pytest.mark.parametrize("via", ["token", "key", "key_without_admin_scopes"])
@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("route", ID_ROUTES, ids=route_id)
def test_object_access_matrix(client, actors, route, who, via):
    """With a login token, and with an API key holding the route's scope
    (and the admin scopes of its owner's level): the same answers. A route
    that refuses keys answers a key 403 insufficient_scope. A key without
    admin scopes acts as a plain user whatever its owner's level."""
    method, path = route
    entry = OBJECT_ROUTES.get(path)
    assert entry is not None, f"no OBJECT_ROUTES entry for {path}"
    made = entry.make(actors)
    actor = {"owner": made.owner, "other": actors["bob"], "moderator": actors["moderator"],
             "superadmin": actors["superadmin"]}[who]
    status = expected_status(entry, method, who)
    headers = actor.headers
    scope = ROUTE_SCOPES[route]
    admin_row = Admin.get_or_none(Admin.user == actor.id)  # the owner of an admin row is one
    level, scopes = admin_row and admin_row.admin_level, [scope] * (scope is not None)
    if via == "key" or scope is not None and scope.startswith("admin:"):
        scopes += [s for s in level_scopes(level) if s not in scopes]
    elif via == "key_without_admin_scopes" and who in ("moderator", "superadmin"):
        status = expected_status(entry, method, "other")  # no more than anyone else
    if via != "token":
        headers = key_headers(actor.user, scopes)
        if scope is None or scope.startswith("admin:") and scope not in level_scopes(level):
            status = 403
    before = _row(made)
    assert before is not None

    body = json.dumps(entry.patch).encode() if method == "PATCH" else None
    counts = {m: m.select().count() for m in (Image, Analytics, Log)}
    res = send(client, method, fill(path, made.id), headers, status, body=body)

    if status >= 400:
        code = {403: "forbidden", 404: "not_found"}[status]
        # A key's admin scope counts only while its owner holds the level.
        if via != "token" and (scope is None or scope.startswith("admin:")
                               and scope not in level_scopes(level)):
            code = "insufficient_scope"
        error_of(res, status, code)
        assert _row(made) == before, "a refused request changed the object"
        assert {m: m.select().count() for m in counts} == counts
    elif method in ("GET", "POST"):
        check = entry.check or (lambda res, m: res.json["id"] == m.id)
        assert check(res, made), res.body[:200]
    elif method == "PATCH":
        after = _row(made)
        for field, value in entry.patch.items():
            assert res.json[field] == value
            assert after[field] == value
    else:  # DELETE
        assert res.body == b""
        if made.model is Admin:  # a revoke: the account stays, as a plain user
            assert _row(made) is None
            assert User.get_by_id(made.owner.id).role == "user"
        elif made.model in (ApiKey, Session):  # revoked or ended, not deleted: the row says when
            assert _row(made)["revoked_at"] is not None
        else:
            assert _row(made) is None


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("route", [r for r in ID_ROUTES if r[0] == "GET"
                                   and ("GET", r[1].rsplit("/", 1)[0]) in AUTH_ROUTES
                                   and r[1].endswith(">")], ids=route_id)
def test_list_visibility_matrix(client, actors, route, who):
    """The list beside each object route shows what GET of the object allows."""
    _method, path = route
    entry = OBJECT_ROUTES[path]
    made = entry.make(actors)
    actor = {"owner": made.owner, "other": actors["bob"], "moderator": actors["moderator"],
             "superadmin": actors["superadmin"]}[who]
    status = expected_status(entry, "GET", who)
    list_path = path.rsplit("/", 1)[0]
    if status == 403:
        error_of(client.get(list_path, headers=actor.headers, status=403), 403, "forbidden")
        return
    res = client.get(list_path, {"limit": 500}, headers=actor.headers, status=200)
    listed = {item["id"] for item in res.json["items"]}
    assert (made.id in listed) == (status == 200)


# -- 3. API key scopes: every authenticated route -----------------------------------
@pytest.mark.parametrize("route", AUTH_ROUTES, ids=route_id)
def test_a_key_without_the_routes_scope_is_refused(client, make_actor, route):
    """Every other scope (admin ones included), or every scope on a route
    that refuses keys: 403 insufficient_scope before the handler runs."""
    method, path = route
    scope = ROUTE_SCOPES[route]
    owner, victim = make_actor("superadmin"), make_actor(name="victim")
    headers = key_headers(owner.user, [s for s in SCOPES if s != scope])
    counts = {m: m.select().count() for m in (User, Admin, Image, Log, Analytics, ApiKey)}
    res = send(client, method, fill(path, victim.id), headers, 403)
    error = error_of(res, 403, "insufficient_scope")
    assert error["details"] == {"required_scope": scope}
    assert res.headers["WWW-Authenticate"].startswith('Bearer error="insufficient_scope"')
    assert {m: m.select().count() for m in counts} == counts
    assert User.get_by_id(victim.id).username == "victim"


@pytest.mark.parametrize("level", [None, "moderator", "superadmin"])
@pytest.mark.parametrize("route", [r for r in AUTH_ROUTES if r not in ID_ROUTES
                                   and ROUTE_SCOPES[r] is not None], ids=route_id)
def test_a_key_with_the_routes_scope_answers_as_its_owners_token(client, make_actor, route,
                                                                  level):
    """The routes without an id (the object matrix runs the others with
    keys): the same request (a GET, or a POST whose empty body is refused)
    answers a key as it answers its owner's login token."""
    method, path = route
    scope = ROUTE_SCOPES[route]
    owner = make_actor(level)
    make_actor(name="someone")  # someone else's rows, for the lists to hide or show
    as_token = send(client, method, path, owner.headers, "*")
    as_key = send(client, method, path, key_headers(owner.user, [scope, *level_scopes(level)]),
                  "*")
    if scope.startswith("admin:") and scope not in level_scopes(level):
        # An admin scope above its owner's level counts for nothing.
        error_of(as_key, 403, "insufficient_scope")
        return
    assert as_key.status_int == as_token.status_int, as_key.text
    assert as_key.status_int not in (401, 500)
    assert as_key.content_type == as_token.content_type
    if as_key.content_type != "application/json":
        return  # an export: the token's own export of logs added an audit row
    if method == "GET" and as_key.status_int == 200:  # the summary's window starts now
        assert ({**as_key.json, "since": None} if "since" in as_key.json else as_key.json) == (
            {**as_token.json, "since": None} if "since" in as_token.json else as_token.json)


# -- 4. public routes --------------------------------------------------------------
def _health(client, actors, path="/health"):
    res = client.get(path, status=200)
    assert res.json["status"] == "ok"


def _health_ready(client, actors):
    _health(client, actors, "/health/ready")


def _health_live(client, actors):
    assert client.get("/health/live", status=200).json == {"status": "ok"}


def _openapi(client, actors):
    res = client.get("/openapi.json", status=200)
    assert res.json["openapi"].startswith("3.1")


def _login(client, actors):
    res = client.post_json("/auth/login", {"login": "alice", "password": PASSWORD},
                           status=200)
    assert res.json["user"]["id"] == actors["alice"].id


def _register(client, actors):
    res = client.post_json("/auth/register", {"email": "new@example.com", "username": "new",
                                              "password": PASSWORD}, status=201)
    assert User.get_by_id(res.json["id"]).username == "new"


def _password_reset(client, actors):
    res = client.post_json("/auth/password-reset", {"email": "alice@example.com"}, status=202)
    assert "reset link" in res.json["message"]
    assert PasswordReset.get().user_id == actors["alice"].id


def _password_reset_confirm(client, actors):
    # A token as the mail would carry it (only its hash is stored).
    PasswordReset.create(user=actors["alice"].id, token_hash=hashlib.sha256(b"t0ken").hexdigest(),
                         password_hash=User.get_by_id(actors["alice"].id).password_hash,
                         expires_at=utcnow() + timedelta(hours=1))
    res = client.post_json("/auth/password-reset/confirm",
                           {"token": "t0ken", "password": "difference-engine-no-2"}, status=200)
    assert res.json["revoked_tokens"] >= 1


def _verify_email(client, actors):
    # A link as the mail would carry it (only its hash is stored).
    EmailVerification.create(user=actors["alice"].id, email="alice@example.com",
                             previous_email="alice@example.com",
                             token_hash=hashlib.sha256(b"t0ken").hexdigest(),
                             expires_at=utcnow() + timedelta(hours=1))
    res = client.post_json("/auth/verify-email", {"token": "t0ken"}, status=200)
    assert res.json["email"] == "alice@example.com"


def _verify_email_resend(client, actors):
    res = client.post_json("/auth/verify-email/resend", {"email": "alice@example.com"},
                           status=202)
    assert "new link" in res.json["message"]


def _index(client, actors):
    assert client.get("/", status=200).json["docs"] == "/docs"


def _docs(client, actors):
    assert b"swagger-ui" in client.get("/docs", status=200).body


def _docs_static(client, actors):
    client.get("/docs/static/docs.js", status=200)


def _metrics(client, actors):
    # No token needed; the address allow-list (loopback by default) decides.
    res = client.get("/metrics", extra_environ={"REMOTE_ADDR": "127.0.0.1"}, status=200)
    assert "janus_http_requests_total" in res.text


PUBLIC_ROUTES = {
    ("GET", "/"): _index,
    ("GET", "/docs"): _docs,
    ("GET", "/docs/static/<name>"): _docs_static,
    ("GET", "/health"): _health,
    ("GET", "/health/live"): _health_live,
    ("GET", "/health/ready"): _health_ready,
    ("GET", "/metrics"): _metrics,
    ("GET", "/openapi.json"): _openapi,
    ("POST", "/auth/login"): _login,
    ("POST", "/auth/register"): _register,
    ("POST", "/auth/password-reset"): _password_reset,
    ("POST", "/auth/password-reset/confirm"): _password_reset_confirm,
    ("POST", "/auth/verify-email"): _verify_email,
    ("POST", "/auth/verify-email/resend"): _verify_email_resend,
}


def test_every_public_route_is_known():
    """A route that skips authentication must be added here on purpose."""
    assert sorted(PUBLIC) == sorted(PUBLIC_ROUTES)


@pytest.mark.parametrize("stale_header", [False, True], ids=["no_token", "bad_token"])
@pytest.mark.parametrize("route", PUBLIC, ids=route_id)
def test_public_routes_work_without_a_token(client, actors, route, stale_header):
    check = PUBLIC_ROUTES.get(route)
    assert check is not None, f"{route_id(route)} is public but not in PUBLIC_ROUTES"
    if stale_header:  # a client still sending an old token is not refused
        client.extra_environ["HTTP_AUTHORIZATION"] = "Bearer stale-token"
    check(client, actors)
