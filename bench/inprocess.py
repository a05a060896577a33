"""Janus called in-process through its WSGI app: no server, no network.

``call(app, method, path, token)`` builds a WSGI environ and runs the app the
way gunicorn would (reading and closing the body). B1c times, in CPU seconds
of this process (``time.process_time``), one authenticated ``GET /users/<id>``
and one ``GET /auth/me`` against ``GET /health`` (which reads the database
and checks both stores for writes: the file store's probe write is kept
2 s), and against ``GET /`` (no database) as an extra figure; and the same routes with the
per-request JSON access line switched off (the ``janus.access`` logger raised
to WARNING), in the same rounds, which gives that line's cost inside a
request; and one access line written alone (janus.web.access_line, to the same
handler's file). The app is Janus's default
configuration (access line at INFO); its log handler writes to a file in the
bench's temp directory, as gunicorn's stderr does under the bench.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import statistics
import sys
from pathlib import Path

from bench import timing
from janus.config import Config
from janus.web import access_line as janus_access_line
from janus.web.app import create_app

OPS = ("health", "root", "user_get", "auth_me")


def app_for(url: str, tmp: Path, log_name: str):
    """Janus as ``make serve`` builds it (environment defaults), on ``url``;
    its JSON log lines go to ``tmp/log_name``."""
    config = Config.from_env({"DATABASE_URL": url, "JANUS_STORAGE_DIR": str(tmp / "storage")})
    app = create_app(config)
    stream = open(tmp / log_name, "a")  # noqa: SIM115 -- lives as long as the app
    for handler in logging.getLogger("janus").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    return app


def _environ(method: str, path: str, token: str | None, body: bytes = b"") -> dict:
    route, _, query = path.partition("?")
    env = {"REQUEST_METHOD": method, "PATH_INFO": route, "QUERY_STRING": query,
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
           "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8000",
           "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
           "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True,
           "wsgi.run_once": False, "CONTENT_LENGTH": str(len(body))}
    if token:
        env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return env


def call(app, method: str, path: str, token: str | None = None) -> tuple[str, bytes]:
    """(status line, body) of one request through the WSGI app."""
    status = []
    result = app(_environ(method, path, token), lambda s, h, e=None: status.append(s))
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return status[0], body


def get_json(app, path: str, token: str | None = None):
    status, body = call(app, "GET", path, token)
    if not status.startswith("200"):
        raise RuntimeError(f"GET {path} answered {status}: {body[:200]!r}")
    return json.loads(body)


def requests(ds) -> dict:
    """name -> a no-argument call of that request (the first bench user's token)."""
    token = ds.tokens[0]
    me = ds.user_ids[0]
    return {"health": ("/health", None), "root": ("/", None), "user_get": (f"/users/{me}", token),
            "auth_me": ("/auth/me", token)}


@contextlib.contextmanager
def access_line(enabled: bool):
    logger = logging.getLogger("janus.access")
    previous = logger.level
    logger.setLevel(logging.NOTSET if enabled else logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


def measure(ds, tmp: Path, backend: str, rounds: int, min_seconds: float) -> dict:
    """{"ops": {name: timing summary (CPU ms)} with the access line (default),
    "no_access_line": the same without it, "line": one access line alone}.
    Each round times every request with the line and then without it."""
    app = app_for(ds.url, tmp, f"inprocess-{backend}.log")
    paths = requests(ds)
    for path, token in paths.values():
        get_json(app, path, token)  # answers 200 before anything is timed

    def op(name):
        path, token = paths[name]
        return lambda: call(app, "GET", path, token)

    ops = {name: op(name) for name in OPS}
    with_line, without = {name: [] for name in OPS}, {name: [] for name in OPS}
    calls = {}
    for _ in range(rounds):
        for enabled, into in ((True, with_line), (False, without)):
            with access_line(enabled):
                sample = timing.measure(ops, 1, min_seconds, clock=timing.cpu)
            for name, figures in sample.items():
                into[name].append(figures["rounds_ms"][0])
                calls[name] = figures["calls"]
    line = timing.measure({"line": _one_line}, rounds, min_seconds, clock=timing.cpu)["line"]
    return {"ops": {name: timing.summary(ms, calls[name]) for name, ms in with_line.items()},
            "no_access_line": {name: timing.summary(ms, calls[name])
                               for name, ms in without.items()},
            "line": line, "cold": cold_and_hot(ops["user_get"], COLD_CALLS)}


COLD_CALLS = 300
_EVICT = bytearray(8 * 1024 * 1024)  # larger than the CPU's caches here


def evict_caches() -> int:
    """Read 8 MB, so the next call finds little of its code and data cached."""
    return _EVICT.count(b"\x01")


def cold_and_hot(op, calls: int, evict=evict_caches) -> dict:
    """{"hot_us", "cold_us"}: median CPU of one call of ``op`` timed alone,
    right after the previous call (hot) and right after ``evict`` (cold):
    why a served request costs more than the in-process loop
    (docs/benchmarks.md)."""
    hot, cold = [], []
    for _ in range(calls):
        for into in (hot, cold):
            if into is cold:
                evict()
            began = timing.cpu()
            op()
            into.append((timing.cpu() - began) * 1e6)
    return {"hot_us": statistics.median(hot), "cold_us": statistics.median(cold)}


def _one_line() -> None:
    """What janus.web.app's after_request hook writes for one request."""
    janus_access_line.write("0123456789abcdef0123456789abcdef", "GET", "/users/1", 200, 1.23,
                            1, "127.0.0.1")


def access_line_cost(result: dict) -> dict:
    """name -> CPU microseconds the access line adds to one request (median of
    the per-round differences), and "line": one line logged alone."""
    out = {}
    for name in OPS:
        diffs = [a - b for a, b in zip(result["ops"][name]["rounds_ms"],
                                       result["no_access_line"][name]["rounds_ms"],
                                       strict=True)]
        out[name] = statistics.median(diffs) * 1000
    out["line"] = result["line"]["median_ms"] * 1000
    return out
