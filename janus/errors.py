"""Typed errors. Helpers raise them; the HTTP layer maps them to the JSON
error envelope ``{"error": {"code", "message", "details"}}`` by ``status``
and ``code``; the command-line tools print ``message`` on one line."""
from __future__ import annotations


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
NotFound = _kind("NotFound", 404, "not_found")
MethodNotAllowed = _kind("MethodNotAllowed", 405, "method_not_allowed")
Conflict = _kind("Conflict", 409, "conflict")
PayloadTooLarge = _kind("PayloadTooLarge", 413, "payload_too_large")
UnsupportedMediaType = _kind("UnsupportedMediaType", 415, "unsupported_media_type")
InternalError = _kind("InternalError", 500, "internal_error")
ServiceUnavailable = _kind("ServiceUnavailable", 503, "service_unavailable")
NotMigrated = _kind("NotMigrated", 503, "not_migrated",
                    "The database lacks migrations this code needs (janus.migrations_status).")


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


def for_status(status: int, message: str) -> JanusError:
    """The typed error for an HTTP status raised outside Janus's code (Bottle's
    own 404, 405, 413 ...), so that every error takes the same path to JSON."""
    if status >= 500:
        return InternalError("internal error; quote the request id when reporting it")
    error = _BY_STATUS.get(status, BadRequest)(message)
    error.status = status
    return error
