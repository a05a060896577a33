"""CORS for the application's browser front end.

Allowed origins come from JANUS_CORS_ORIGINS (comma-separated, none by
default). Requests from other origins get no CORS headers, so browsers keep
blocking them; non-browser clients are unaffected either way. Preflights are
answered before routing, so they never need a token.
"""
from __future__ import annotations

from bottle import HTTPResponse, request, response

from janus.web.plugins import header

ALLOW_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, X-Request-ID, If-None-Match, Idempotency-Key"
EXPOSE_HEADERS = "X-Request-ID, Retry-After, ETag, Content-Length, Idempotent-Replayed"
MAX_AGE = "600"


def register(app, config) -> None:
    allowed = frozenset(config.cors_origins)

    def allowed_origin() -> str | None:
        origin = header("Origin")
        return origin if origin and (origin in allowed or "*" in allowed) else None

    def preflight():
        if request.method != "OPTIONS" or not header("Access-Control-Request-Method"):
            return
        headers = {"Vary": "Origin"}
        origin = allowed_origin()
        if origin:
            headers.update({"Access-Control-Allow-Origin": origin,
                            "Access-Control-Allow-Methods": ALLOW_METHODS,
                            "Access-Control-Allow-Headers": ALLOW_HEADERS,
                            "Access-Control-Max-Age": MAX_AGE})
        raise HTTPResponse(status=204, headers=headers)

    def add_headers():
        origin = allowed_origin()
        if origin and request.method != "OPTIONS":
            response.set_header("Access-Control-Allow-Origin", origin)
            response.set_header("Access-Control-Expose-Headers", EXPOSE_HEADERS)
            response.add_header("Vary", "Origin")

    app.add_hook("before_request", preflight)
    app.add_hook("after_request", add_headers)
