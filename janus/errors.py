"""Typed errors. Helpers raise them; the HTTP layer maps them to the JSON
error envelope ``{"error": {"code", "message", "details"}}`` by ``status``
and ``code``; the command-line tools print ``message`` on one line."""
from __future__ import annotations

import errno


class JanusError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details=None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


def _kind(name: str, status: int, code: str, doc: str = "") -> type[JanusError]:
    return type(name, (JanusError,), {"status": status, "code": code, "__doc__": doc,
                                      "__module__": __name__})


BadRequest = _kind("BadRequest", 400, "bad_request")
Unauthorized = _kind("Unauthorized", 401, "unauthorized")
Forbidden = _kind("Forbidden", 403, "forbidden")
EmailNotVerified = _kind(
    "EmailNotVerified", 403, "email_not_verified",
    "The right password, but the account's email is not verified yet "
    "(JANUS_REQUIRE_EMAIL_VERIFICATION): use the mailed link, or ask for another.")
InsufficientScope = _kind(
    "InsufficientScope", 403, "insufficient_scope",
    "An API key without the scope the route declares, or on a route that refuses keys.")
NotFound = _kind("NotFound", 404, "not_found")
MethodNotAllowed = _kind("MethodNotAllowed", 405, "method_not_allowed")
Conflict = _kind("Conflict", 409, "conflict")
PayloadTooLarge = _kind("PayloadTooLarge", 413, "payload_too_large")
UnsupportedMediaType = _kind("UnsupportedMediaType", 415, "unsupported_media_type")
InternalError = _kind("InternalError", 500, "internal_error")
InsufficientStorage = _kind(
    "InsufficientStorage", 507, "insufficient_storage",
    "The file store or the database is full (ENOSPC, EDQUOT, a bucket's server saying so, "
    "SQLITE_FULL, PostgreSQL disk_full): nothing was stored; retry once space is freed.")
# Seconds a 503 asks a client to wait (Retry-After): long enough not to hammer
# a database that is restarting, short enough to notice it is back.
RETRY_AFTER_UNAVAILABLE = 5


class ServiceUnavailable(JanusError):
    """503: the database cannot answer; ``Retry-After`` says when to try again."""

    status, code = 503, "service_unavailable"

    def __init__(self, message: str, details=None, headers: dict | None = None):
        super().__init__(message, details,
                         {"Retry-After": str(RETRY_AFTER_UNAVAILABLE), **(headers or {})})


class NotMigrated(ServiceUnavailable):
    """The database lacks migrations this code needs (janus.migrate)."""

    code = "not_migrated"


class ValidationError(JanusError):
    """422; ``details`` is a list of ``{"path": "$.field", "message": ...}``."""

    status, code = 422, "validation_error"

    @classmethod
    def at(cls, path: str, message: str) -> ValidationError:
        return cls(f"{message} - at `{path}`", details=[{"path": path, "message": message}])


class TooManyRequests(JanusError):
    status, code = 429, "too_many_requests"

    def __init__(self, message: str, retry_after: int, details=None):
        super().__init__(message, details, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


# Bottle's own statuses, for ``for_status``.
_BY_STATUS = {cls.status: cls for cls in (
    BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
    PayloadTooLarge, UnsupportedMediaType, ValidationError, ServiceUnavailable)}


def first_line(exc: BaseException) -> str:
    """An exception as one line, for the commands' one-line failures."""
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def for_status(status: int, message: str) -> JanusError:
    """The typed error for an HTTP status raised outside Janus's code (Bottle's
    own 404, 405, 413 ...), so that every error takes the same path to JSON."""
    if status >= 500:
        return InternalError("internal error; quote the request id when reporting it")
    error = _BY_STATUS.get(status, BadRequest)(message)
    error.status = status
    return error


# errno values of a full disk / exhausted quota, and the drivers' words for it.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_SQLITE_FULL = 13  # sqlite3's SQLITE_FULL ("database or disk is full")
_PG_DISK_FULL = "53100"  # SQLSTATE disk_full


def disk_full_cause(exc: BaseException | None) -> BaseException | None:
    """The exception in ``exc``'s chain that says the disk (or SQLite's
    max_page_count) is full, or None.

    The chain matters: after SQLITE_FULL SQLite has already rolled the
    transaction back, so peewee's own ROLLBACK fails with "cannot rollback -
    no transaction is active" and the real cause is only that error's
    ``__context__``; peewee's wrapped errors also carry the driver's as
    ``orig``.
    """
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, InsufficientStorage):
            return current.__cause__ or current
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return current
        if (getattr(current, "sqlite_errorcode", None) == _SQLITE_FULL
                or getattr(current, "pgcode", None) == _PG_DISK_FULL
                or "database or disk is full" in str(current)):
            return current
        todo.extend([current.__cause__, current.__context__, getattr(current, "orig", None)])
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return None
