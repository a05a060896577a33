"""GET /metrics (Prometheus text format 0.0.4) and what feeds it from the web
side: a hook timing and counting every request by its route pattern, and the
counts of database errors (called from janus.web.plugins). The metrics
themselves are in janus.metrics.

/metrics is public (no bearer token) and never touches the database, but only
clients whose address is in ``JANUS_METRICS_ALLOW`` (addresses or CIDR
networks; loopback by default) get it: anyone else gets the same 404 as an
unknown path, so the endpoint's existence is not advertised. The address is
the one the access log shows (X-Forwarded-For is believed only from
``JANUS_TRUSTED_PROXIES``), so a trusted proxy on loopback does not open it
to the world.

Under gunicorn (``PROMETHEUS_MULTIPROC_DIR`` set by gunicorn.conf.py) the
answer sums every worker's values, whichever worker serves the scrape, and
adds the runtime's series (janus.web.metrics_runtime).
"""
from __future__ import annotations

import os
import time

import peewee as pw
from bottle import HTTPResponse, request, response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from janus.db import is_retryable
from janus.errors import NotFound, disk_full_cause
from janus.metrics import DATABASE_CONFLICTS, DATABASE_ERRORS, HTTP_DURATION, HTTP_REQUESTS
from janus.web.addresses import AddressList
from janus.web.metrics_runtime import BuildInfo, GcCounts, multiprocess_collectors

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MEDIA = "text/plain; version=0.0.4"
UNMATCHED = "unmatched"  # the route label of a request no route matched (404, 405)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


# In one process the default registry has process_* and python_* already;
# janus_build_info joins it (under gunicorn each scrape's registry gets its own).
if not multiprocess():
    REGISTRY.register(BuildInfo())
# Under gunicorn: this worker's garbage collections, as summed counters.
_gc_counts = GcCounts() if multiprocess() else None


def exposition() -> bytes:
    """Every worker's values when running under gunicorn, else this process's."""
    if _gc_counts is None:
        return generate_latest(REGISTRY)
    _gc_counts.flush()  # this worker's up to now; the others' as of their last request
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    for collector in multiprocess_collectors():
        registry.register(collector)
    return generate_latest(registry)


# The labelled children of the two request metrics, by (method, route,
# status): the label sets are bounded (route patterns, a fixed method set,
# statuses) and ``labels()`` validates and locks on every call, so each pair
# is looked up once per request in one dict.
_children: dict = {}


def _pair(method: str, rule: str, status: int):
    found = _children.get((method, rule, status))
    if found is None:
        found = _children[(method, rule, status)] = (
            HTTP_REQUESTS.labels(method, rule, str(status)), HTTP_DURATION.labels(method, rule))
    return found


def _observed():
    env = request.environ
    route = env.get("bottle.route")
    if route is not None:
        method, rule = route.method, route.rule
    else:  # a client's path or method must never become a label value
        method = request.method if request.method in _METHODS else "other"
        rule = UNMATCHED
    counted, timed = _pair(method, rule, response.status_code)
    counted.inc()
    started = env.get("janus.started")  # janus.web.app's before_request hook
    if started is not None:
        timed.observe(time.perf_counter() - started)
    if _gc_counts is not None:
        _gc_counts.maybe_flush()


def install_hooks(app) -> None:
    # Timed from the start the access line uses (janus.web.app sets
    # janus.started first): one clock read and one hook fewer per request.
    app.add_hook("after_request", _observed)


# Counted by the plugins that already wrap the call (janus.web.plugins), not
# by plugins of their own: two more wrappers on every route for two counters.
def count_database_error(exc: BaseException) -> None:
    """ErrorsPlugin: a database error that reached it, after the retries, by
    the answer it gets."""
    if disk_full_cause(exc) is not None:
        kind = "disk_full"
    elif is_retryable(exc):
        kind = "conflict"
    elif isinstance(exc, (pw.OperationalError, pw.InterfaceError)):
        kind = "unavailable"
    else:
        return
    DATABASE_ERRORS.labels(kind).inc()


def count_conflict(exc: BaseException) -> None:
    """DatabasePlugin: every attempt's deadlock or serialization failure."""
    if is_retryable(exc):
        DATABASE_CONFLICTS.inc()


def register(api) -> None:
    allow = AddressList(api.config.metrics_allow)

    @api.route("GET", "/metrics", summary="Prometheus metrics (allowed addresses only)",
               tag="meta", auth=False, database=False, response=bytes, response_media=MEDIA,
               errors=(404,),
               description="Prometheus text format 0.0.4, summed over every gunicorn "
                           "worker. Only clients in JANUS_METRICS_ALLOW (loopback by "
                           "default) get it; any other address gets 404 not_found.")
    def metrics():
        if request.environ.get("janus.client_ip") not in allow:
            raise NotFound(f"no route for {request.path}")
        return HTTPResponse(body=exposition(), status=200,
                            headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"})
