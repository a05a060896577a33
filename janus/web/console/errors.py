"""Console error pages: HTML with the status's title and a safe message,
never a traceback (that goes to the server log with the request id)."""
from __future__ import annotations

import logging

import peewee as pw
from bottle import request

from janus.errors import JanusError, disk_full_cause
from janus.web.console.render import render
from janus.web.plugins import request_id

log = logging.getLogger("janus.errors")
TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Too large", 422: "Invalid input", 429: "Too many requests",
          500: "Something went wrong", 503: "Service unavailable",
          507: "Insufficient storage"}
MESSAGES = {404: "There is nothing at this address.",
            405: "This address does not accept that method.",
            500: "An unexpected error happened; quote the request id when reporting it.",
            503: "The database or the file store is unavailable; try again shortly.",
            507: "The server is out of disk space; nothing was stored."}


def page(status: int, message: str | None = None) -> str:
    title = TITLES.get(status, "Error")
    return render("error.html", status=status, code=status, title=title,
                  message=message or MESSAGES.get(status, title), request_id=request_id())


def for_error(exc: JanusError) -> str:
    """A typed error as a page; 5xx messages stay generic."""
    return page(exc.status, exc.message if exc.status < 500 else None)


def for_exception(exc: Exception) -> str:
    """Anything unexpected: logged, and a generic page."""
    if disk_full_cause(exc) is not None:
        log.error({"message": "insufficient storage: nothing was stored",
                   "request_id": request_id(), "path": request.path,
                   "cause": f"{type(exc).__name__}: {exc}"})
        return page(507)
    if isinstance(exc, (pw.OperationalError, pw.InterfaceError)):
        log.error("database unavailable (request %s): %s", request_id(), exc)
        return page(503)
    log.error("unhandled error in %s %s (request %s)", request.method, request.path,
              request_id(), exc_info=exc)
    return page(500)
