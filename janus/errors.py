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


class BadRequest(JanusError):
    status, code = 400, "bad_request"


class Unauthorized(JanusError):
    status, code = 401, "unauthorized"


class Forbidden(JanusError):
    status, code = 403, "forbidden"


class NotFound(JanusError):
    status, code = 404, "not_found"


class MethodNotAllowed(JanusError):
    status, code = 405, "method_not_allowed"


class Conflict(JanusError):
    status, code = 409, "conflict"


class PayloadTooLarge(JanusError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(JanusError):
    status, code = 415, "unsupported_media_type"


class ValidationError(JanusError):
    """422; ``details`` is a list of ``{"path": "$.field", "message": ...}``."""

    status, code = 422, "validation_error"

    @classmethod
    def at(cls, path: str, message: str) -> "ValidationError":
        return cls(f"{message} - at `{path}`", details=[{"path": path, "message": message}])


class TooManyRequests(JanusError):
    status, code = 429, "too_many_requests"

    def __init__(self, message: str, retry_after: int, details=None):
        super().__init__(message, details, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


class InternalError(JanusError):
    status, code = 500, "internal_error"


class ServiceUnavailable(JanusError):
    status, code = 503, "service_unavailable"


class NotMigrated(JanusError):
    """The database lacks migrations this code needs (see janus.migrations_status)."""

    status, code = 503, "not_migrated"


def for_status(status: int, message: str) -> JanusError:
    """The typed error for an HTTP status raised outside Janus's code (Bottle's
    own 404, 405, 413 ...), so that every error takes the same path to JSON."""
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
                PayloadTooLarge, UnsupportedMediaType, ValidationError, TooManyRequests,
                ServiceUnavailable):
        if cls.status == status:
            error = JanusError(message)
            error.status, error.code = status, cls.code
            return error
    if status >= 500:
        return InternalError("internal error; quote the request id when reporting it")
    error = JanusError(message)
    error.status = status
    return error
