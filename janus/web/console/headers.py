"""The security headers of every /console response (pages, redirects,
errors, static files): a strict Content-Security-Policy (no inline script or
style, nothing from elsewhere), no framing, no referrer beyond the origin, no
MIME sniffing, and no caching of pages that show private data."""
from __future__ import annotations

from bottle import request, response

PREFIX = "/console"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def is_console(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def apply() -> None:
    """An after_request hook: Bottle runs it for every answer, errors included."""
    if not is_console(request.path):
        return
    for name, value in HEADERS.items():
        response.set_header(name, value)
    # Pages are never stored; a picture route's own "private, no-cache" with
    # its ETag stays (the browser revalidates: a 304, not the bytes again).
    if not request.path.startswith(PREFIX + "/static/") and "ETag" not in response.headers:
        response.set_header("Cache-Control", "no-store")
