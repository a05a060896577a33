"""The access line: one JSON object per request, with the fields every janus
log line starts with (ts, level, logger) and then the request's.

It is written straight to the stream of the "janus" logger's JSON handler
(janus.web.app.configure_logging) with one ``os.write``, not through the
logging module: a LogRecord, the caller lookup, the handler's lock held
across the write and a flush cost several times the line itself, and under
gunicorn's threads the lock made the other threads queue behind each write
(docs/benchmarks.md, "The access line"). The ``janus.access`` logger's level
still switches it (JANUS_LOG_LEVEL=WARNING: no line); without that handler
(logging set up some other way) the line goes through the logger as a record.
"""
from __future__ import annotations

import json
import logging
import os
import time

import msgspec

HANDLER_NAME = "janus.json"  # the name configure_logging gives its handler
LOGGER = logging.getLogger("janus.access")
_janus = logging.getLogger("janus")


class Line(msgspec.Struct):
    """The fields in the order they are written."""
    ts: str
    level: str
    logger: str
    message: str
    request_id: str | None
    method: str
    path: str
    status: int
    duration_ms: float | None
    user_id: int | None
    ip: str | None


_encode = msgspec.json.Encoder().encode
_second: tuple[int, str] = (0, "")  # one strftime per second, not one per line


def _timestamp() -> str:
    """The JSON formatter's ``ts`` (UTC, to the second) of now."""
    global _second
    now, cached = int(time.time()), _second
    if cached[0] != now:
        cached = _second = (now, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)))
    return cached[1]


def _handler() -> logging.Handler | None:
    for handler in _janus.handlers:
        if handler.name == HANDLER_NAME:
            return handler
    return None


def _encoded(line: Line) -> bytes:
    try:
        return _encode(line) + b"\n"
    except (TypeError, ValueError, OverflowError):  # as the JSON formatter falls back
        return (json.dumps(msgspec.structs.asdict(line), default=str) + "\n").encode()


def write(request_id: str | None, method: str, path: str, status: int,
          duration_ms: float | None, user_id: int | None, ip: str | None) -> None:
    if not LOGGER.isEnabledFor(logging.INFO):
        return
    line = Line(_timestamp(), "info", LOGGER.name, "request", request_id, method, path, status,
                duration_ms, user_id, ip)
    handler = _handler()
    if handler is None:
        LOGGER.info({name: getattr(line, name) for name in Line.__struct_fields__[3:]})
        return
    data, stream = _encoded(line), handler.stream
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # no file behind it (io.StringIO)
        handler.acquire()
        try:
            stream.write(data.decode())
            stream.flush()
        finally:
            handler.release()
        return
    while data:  # one write, unless a signal interrupts a long line
        data = data[os.write(fd, data):]
