"""The Bottle plugin every API route runs through (plugin API v2).

Per request it: holds a pooled database connection, authenticates the bearer
token unless the route is public, maps typed errors to the JSON envelope,
turns anything unexpected into a generic 500 (the traceback goes to the
server log only), and encodes the handler's result as JSON.
"""
from __future__ import annotations

import logging

import peewee as pw
from bottle import HTTPResponse, request, response

from janus.auth import Client, Session, resolve_token
from janus.db import database
from janus.migrations_status import require_migrated
from janus.errors import InternalError, JanusError, ServiceUnavailable, Unauthorized
from janus.web.jsonio import encode, json_body

log = logging.getLogger("janus.errors")


def header(name: str) -> str:
    """A request header, "" when absent. Bottle's get_header() decodes UTF-8
    and raises on anything else, so a garbage header from a client became a
    500; here a value that is not UTF-8 stays as the server's latin-1 text."""
    value = request.headers.raw(name, "") or ""
    try:
        return value.encode("latin1").decode("utf8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def request_id() -> str:
    return request.environ.get("janus.request_id", "-")


def error_body(exc: JanusError) -> bytes:
    for name, value in exc.headers.items():
        response.set_header(name, value)
    payload = exc.to_dict()
    payload["error"]["request_id"] = request_id()
    return json_body(payload, exc.status)


def client() -> Client:
    return Client(ip=request.environ.get("janus.client_ip"),
                  user_agent=header("User-Agent")[:512] or None)


def client_ip(remote_addr: str | None, forwarded_for: str, trusted: frozenset) -> str | None:
    """The client's address. Behind a reverse proxy REMOTE_ADDR is the proxy
    (gunicorn does not rewrite it), so when the peer is one of
    JANUS_TRUSTED_PROXIES the X-Forwarded-For chain is read from the right,
    skipping trusted hops; anything a client put further left is ignored."""
    if remote_addr not in trusted or not forwarded_for:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return hops[0] if hops else remote_addr


def session() -> Session:
    """The authenticated session of the current request."""
    current = request.environ.get("janus.session")
    if current is None:
        raise Unauthorized("authentication required")
    return current


def current_user():
    return session().user


def _authenticate() -> Session:
    scheme, _, token = header("Authorization").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token>",
                           headers={"WWW-Authenticate": "Bearer"})
    try:
        current = resolve_token(token.strip())
    except Unauthorized as exc:
        exc.headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
        raise
    request.environ["janus.session"] = current
    request.environ["janus.user_id"] = current.user.id
    return current


class ApiPlugin:
    name = "janus_api"
    api = 2

    def __init__(self):
        # Checked on first use rather than at import, so the app starts even
        # while the database is down; an unmigrated one answers 503 until
        # `pw_migrate migrate` has run.
        self.migrated = False

    def check_migrated(self) -> None:
        if not self.migrated:
            require_migrated(database.obj)
            self.migrated = True

    def apply(self, callback, route):
        spec = route.config.get("janus")
        if spec is None:
            return callback

        def wrapper(*args, **kwargs):
            try:
                if not spec.database:
                    result = callback(*args, **kwargs)
                else:
                    database.connect(reuse_if_open=True)
                    try:
                        self.check_migrated()
                        if spec.auth:
                            _authenticate()
                        result = callback(*args, **kwargs)
                    finally:
                        if not database.is_closed():
                            database.close()  # back to the pool
            except HTTPResponse:
                raise
            except JanusError as exc:
                return error_body(exc)
            except (pw.OperationalError, pw.InterfaceError) as exc:
                log.error("database unavailable (request %s): %s", request_id(), exc)
                return error_body(ServiceUnavailable("the database is unavailable"))
            except Exception:
                log.exception("unhandled error in %s %s (request %s)",
                              request.method, request.path, request_id())
                return error_body(
                    InternalError("internal error; quote the request id when reporting it"))
            if isinstance(result, (bytes, HTTPResponse)):
                return result
            if result is None:
                response.status = 204
                return b""
            return json_body(result, spec.status)

        return wrapper


def encode_error(status: int, code: str, message: str) -> bytes:
    """An error body for failures outside any route (404, 405, bottle's 500)."""
    response.status = status
    response.content_type = "application/json; charset=utf-8"
    return encode({"error": {"code": code, "message": message, "request_id": request_id()}})
