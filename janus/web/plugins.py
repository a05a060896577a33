"""The Bottle plugins every API route runs through (plugin API v2), one per
concern, outermost first:

1. ``ErrorsPlugin``: typed errors become the JSON envelope, a lost database
   a 503, a full disk (file store or database) a 507 whose log line names
   the cause, anything unexpected a generic 500 (the traceback goes to the
   server log only); the handler's result is encoded as JSON
   (``jsonio.result_body``). It counts the database errors that reach it
   (``janus_database_errors_total``).
2. ``DatabasePlugin``: holds a pooled connection, checks, once, that the
   database is migrated, and runs the handler again (up to ``ATTEMPTS``
   times in all) after a PostgreSQL deadlock or serialization failure,
   counting each (``janus_database_conflicts_total``). The console's pages
   run through the same instance (``DatabasePlugin.run``).
3. ``AuthPlugin``: resolves the bearer token to an ``Actor`` (user and
   admin level in one query) unless the route is public; a bearer that
   starts ``jns_`` is tried as an API key first (janus.services.api_keys):
   counted against its own rate limit, then held to the route's scope.
4. ``IdempotencyPlugin`` (janus.web.idempotency): a POST carrying an
   ``Idempotency-Key`` runs in one transaction with its stored answer, and a
   retry gets that answer back.
5. ``RequestPlugin``: range-checks the ids in the path, decodes the body
   and the query into the spec's Structs and passes what the handler asks
   for (``body``, ``query``, ``actor``, ``client``; see
   ``registry.handler_arguments``).

Only routes declared through ``Api.route`` (with a spec) are wrapped.
"""
from __future__ import annotations

import logging
import random
import time

import peewee as pw
from bottle import HTTPResponse, WSGIHeaderDict, request

from janus.access import Client
from janus.db import database, is_retryable
from janus.errors import (
    InsufficientScope,
    InsufficientStorage,
    InternalError,
    JanusError,
    ServiceUnavailable,
    Unauthorized,
    disk_full_cause,
)
from janus.mail import sender
from janus.migrate import require_migrated
from janus.schemas.images import Upload
from janus.schemas.validation import path_ids
from janus.services import api_keys
from janus.services.auth import resolve_token
from janus.web import metrics
from janus.web.idempotency import IdempotencyPlugin
from janus.web.jsonio import error_response, media_type, read_json, read_query, result_body
from janus.web.multipart import read_upload
from janus.web.registry import id_params

log = logging.getLogger("janus.errors")

# How many times DatabasePlugin runs a handler that keeps hitting PostgreSQL
# deadlocks or serialization failures, and the pause before each new attempt
# (seconds, times the attempt number, jittered so the rivals do not collide
# again in step).
ATTEMPTS = 3
RETRY_PAUSE = 0.02


# A header's WSGI environ key by its name (Content-Type -> CONTENT_TYPE,
# User-Agent -> HTTP_USER_AGENT), as Bottle's WSGIHeaderDict maps it.
_ENVIRON_KEYS: dict[str, str] = {}


def header(name: str) -> str:
    """A request header, "" when absent. Bottle's get_header() decodes UTF-8
    and raises on anything else, so a garbage header from a client became a
    500; here a value that is not UTF-8 stays as the server's latin-1 text.
    Read from the environ directly: four headers per request (the request
    id, the client's address and agent, the bearer) through Bottle's
    header dict cost several lookups each."""
    key = _ENVIRON_KEYS.get(name)
    if key is None:
        key = _ENVIRON_KEYS[name] = WSGIHeaderDict({})._ekey(name)
    value = request.environ.get(key) or ""
    if value.isascii():  # the usual case: the same text either way
        return value
    try:
        return value.encode("latin1").decode("utf8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def request_id() -> str:
    return request.environ.get("janus.request_id", "-")


def request_client() -> Client:
    """Where the request came from (janus.web.addresses.client_address, run
    for every request in app._before_request)."""
    env = request.environ
    return Client(ip=env.get("janus.client_ip"), user_agent=header("User-Agent")[:512] or None,
                  own_address=env.get("janus.client_own", False))


class _SpecPlugin:
    api = 2

    def apply(self, callback, route):
        spec = route.config.get("janus")
        return callback if spec is None else self.wrap(callback, spec)

    def wrap(self, callback, spec):
        raise NotImplementedError


class ErrorsPlugin(_SpecPlugin):
    name = "janus_errors"

    def wrap(self, callback, spec):
        def errors_and_json(*args, **kwargs):
            try:
                result = callback(*args, **kwargs)
            except HTTPResponse:
                raise
            except JanusError as exc:
                if isinstance(exc, InsufficientStorage):
                    _log_disk_full(exc)
                return error_response(exc)
            except Exception as exc:
                if isinstance(exc, (pw.DatabaseError, pw.InterfaceError)):
                    metrics.count_database_error(exc)
                if disk_full_cause(exc) is not None:  # SQLite or PostgreSQL: disk full
                    _log_disk_full(exc)
                    return error_response(InsufficientStorage(
                        "the database is out of disk space: nothing was stored; "
                        "retry once space is freed"))
                return _unexpected(exc)
            return result_body(result, spec.status)
        return errors_and_json


def _log_disk_full(exc: BaseException) -> None:
    """The log names the cause (ENOSPC, SQLITE_FULL ...), not the "cannot
    rollback" that peewee raises after SQLite rolled back on its own."""
    cause = disk_full_cause(exc) or exc
    log.error({"message": "insufficient storage: nothing was stored",
               "request_id": request_id(), "method": request.method, "path": request.path,
               "cause": f"{type(cause).__name__}: {cause}"})


def _unexpected(exc: Exception) -> bytes:
    if isinstance(exc, (pw.OperationalError, pw.InterfaceError)):
        log.error("database unavailable (request %s): %s", request_id(), exc)
        return error_response(ServiceUnavailable("the database is unavailable"))
    log.error("unhandled error in %s %s (request %s)", request.method, request.path,
              request_id(), exc_info=exc)
    return error_response(
        InternalError("internal error; quote the request id when reporting it"))


class DatabasePlugin(_SpecPlugin):
    name = "janus_database"

    def __init__(self):
        # Checked on first use rather than at import, so the app starts even
        # while the database is down; an unmigrated one answers 503 until
        # `janus-migrate` has run.
        self.migrated = False

    def wrap(self, callback, spec):
        if not spec.database:
            return callback

        def with_connection(*args, **kwargs):
            return self.run(callback, *args, **kwargs)
        return with_connection

    def run(self, callback, *args, **kwargs):
        """``callback`` on a pooled connection, once the database is known to
        be migrated, retried (``retried``). The console's wrapper calls it too.

        On PostgreSQL the connection goes back to the pool after, so the
        pool's checks (a dropped connection, the stale timeout) run before
        each request. On SQLite, with nothing to drop it, the thread keeps
        its connection for the next request, unless the request left a
        transaction open or failed: the pool's checkout and check-in were
        about a tenth of a cached GET's instructions (docs/benchmarks.md)."""
        db = database.obj
        keep = isinstance(db, pw.SqliteDatabase)
        if keep and not db.is_closed() and _closed_under(db):
            db.close()  # closed by close_all(): forget it, check out another
        db.connect(reuse_if_open=True)
        kept = False
        try:
            if not self.migrated:
                require_migrated(db, public=True)
                self.migrated = True
            result = retried(callback, *args, **kwargs)
            kept = (keep and not db.is_closed() and not db.in_transaction()
                    and not db.connection().in_transaction)
            return result
        finally:
            sender.wake_deferred()  # a mail committed by an outer transaction
            if not kept and not db.is_closed():
                db.close()  # back to the pool


def _closed_under(db: pw.SqliteDatabase) -> bool:
    """The thread's kept SQLite connection was closed from elsewhere (the
    pool's close_all)."""
    try:
        db.connection().total_changes  # noqa: B018 -- raises once closed
    except pw.sqlite3.ProgrammingError:
        return True
    return False


def database_plugin(app) -> DatabasePlugin:
    """The app's one DatabasePlugin (installed by ``install``)."""
    return next(p for p in app.plugins if isinstance(p, DatabasePlugin))


def retried(callback, *args, **kwargs):
    """``callback``, run again after a PostgreSQL deadlock (40P01) or
    serialization failure (40001), at most ``ATTEMPTS`` times in all.

    Safe because a failed attempt's writes are rolled back (every write is
    one ``database.atomic()`` in a service; PostgreSQL aborted it anyway), the
    request body is cached in the environ (``jsonio.read_body``), and each
    attempt re-reads everything it depends on inside its own transaction.
    The last failure goes on to ErrorsPlugin (503)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return callback(*args, **kwargs)
        except (pw.OperationalError, pw.InternalError) as exc:
            metrics.count_conflict(exc)
            if attempt == ATTEMPTS or not is_retryable(exc):
                raise
            if database.in_transaction():  # a handler's own atomic() left open
                database.rollback()
            log.warning("retrying %s %s after %s (attempt %d, request %s)",
                        request.method, request.path, exc.__class__.__name__, attempt,
                        request_id())
            time.sleep(RETRY_PAUSE * attempt * (0.5 + random.random()))
    raise AssertionError("unreachable")


def _key_actor(bearer: str, spec, limits):
    """The API key's actor, held to its rate limit and the route's scope;
    None when no key has this value (then it may be a login token)."""
    actor = api_keys.resolve_key(bearer, request_client())
    if actor is None:
        return None
    request.environ["janus.user_id"] = actor.id  # the access line's, refused or not
    limits.hit("api_key", actor.key.id)
    if spec.scope is None or spec.scope not in actor.scopes:
        needed = "a login token" if spec.scope is None else f"the scope {spec.scope}"
        raise InsufficientScope(
            f"this route needs {needed}; the API key does not have it",
            details={"required_scope": spec.scope},
            headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'
                     + (f', scope="{spec.scope}"' if spec.scope else "")})
    return actor


class AuthPlugin(_SpecPlugin):
    name = "janus_auth"

    def __init__(self, limits):
        self.limits = limits  # janus.ratelimit.RateLimits: the per-key rule

    def wrap(self, callback, spec):
        if not spec.auth:
            return callback
        pass_actor = "actor" in spec.wants
        limits = self.limits

        def authenticated(*args, **kwargs):
            scheme, _, token = header("Authorization").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("send Authorization: Bearer <token>",
                                   headers={"WWW-Authenticate": "Bearer"})
            bearer = token.strip()
            try:
                actor = ((api_keys.is_key(bearer) and _key_actor(bearer, spec, limits))
                         or resolve_token(bearer, request_client()))
            except Unauthorized as exc:
                exc.headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
                raise
            request.environ["janus.user_id"] = actor.id
            if pass_actor:
                kwargs["actor"] = actor
            return callback(*args, **kwargs)
        return authenticated


class RequestPlugin(_SpecPlugin):
    name = "janus_request"

    def __init__(self, config):
        self.config = config

    def wrap(self, callback, spec):
        wants = spec.wants & {"body", "query", "client"}
        ids = id_params(spec.path)
        if not wants and not ids:
            return callback
        limit = self.config.max_body_bytes

        def decoded(*args, **kwargs):
            path_ids(kwargs, ids)
            if "query" in wants:
                kwargs["query"] = read_query(spec.query)
            if "body" in wants:
                if spec.upload is not None and media_type() == "multipart/form-data":
                    data, filename = read_upload(self.config)
                    kwargs["body"] = Upload(data=data, filename=filename)
                else:
                    kwargs["body"] = read_json(spec.body, limit)
            if "client" in wants:
                kwargs["client"] = request_client()
            return callback(*args, **kwargs)
        return decoded


def install(app, config, limits) -> None:
    """Install the plugins, outermost first (Bottle applies the last one
    installed closest to the handler)."""
    for plugin in (ErrorsPlugin(), DatabasePlugin(), AuthPlugin(limits), IdempotencyPlugin(config),
                   RequestPlugin(config)):
        app.install(plugin)
