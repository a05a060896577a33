"""Every metric Janus exports at GET /metrics (janus.web.metrics), in one place.

prometheus-client picks its storage when it is first imported: with
``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py sets it up before any
worker starts) each worker writes its values to files there and /metrics
sums them over every worker, live or dead; without it (tests, a bare WSGI
server) they live in this process's default registry.

The domain counts what only it knows (a login failure and its reason, a
lockout, an upload's size) by calling the helpers below; the web layer counts
requests and database errors. Counters only go up; a rate is Prometheus's
job (``rate(janus_http_requests_total[5m])``). Each labelled counter is
created at import for every label value it knows (``KNOWN``), so its series
are there at 0 from start-up and ``rate()`` sees the first event.
"""
from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "janus_http_requests", "HTTP requests answered, by method, route pattern and status",
    ["method", "route", "status"])
HTTP_DURATION = Histogram(
    "janus_http_request_duration_seconds",
    "Time from the request's arrival in the app to its answer, by method and route pattern",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
UPLOADS = Counter("janus_uploads", "Image files uploaded and stored")
UPLOAD_BYTES = Counter("janus_upload_bytes", "Bytes of the image files uploaded and stored")
LOGIN_FAILURES = Counter(
    "janus_login_failures",
    "Logins refused for bad credentials, by reason: invalid_credentials (a wrong password "
    "or no such account: one reason, so the metric does not tell which emails exist) or "
    "inactive (the right password of a deactivated account), or email_not_verified (the "
    "right password, refused with 403 until the mailed link is used)",
    ["reason"])
LOGINS_LOCKED = Counter(
    "janus_logins_locked",
    "Logins refused (429) because the account is locked for the address, by scope "
    "(address or account)", ["scope"])
LOCKOUTS = Counter(
    "janus_lockouts", "Lockouts begun: the failure that reached a threshold, by scope",
    ["scope"])
DATABASE_ERRORS = Counter(
    "janus_database_errors",
    "Requests that failed on the database, by kind: unavailable (answered 503), "
    "disk_full (507), conflict (a deadlock or serialization failure left after the "
    "retries: 503)", ["kind"])
DATABASE_CONFLICTS = Counter(
    "janus_database_conflicts",
    "PostgreSQL deadlocks and serialization failures met by a request attempt "
    "(each is retried unless it was the last attempt)")

IMAGE_DECODES = Counter(
    "janus_image_decodes",
    "Image decodes begun (an upload's inspection, an analysis, a thumbnail); an analysis "
    "copied from a stored one of the same bytes decodes nothing")


def image_decoded() -> None:
    IMAGE_DECODES.inc()


# The label values each labelled counter can take (one label each). The
# request counter's (method, route, status) are not known in advance: its
# series appear with their first request.
KNOWN = {
    LOGIN_FAILURES: ("invalid_credentials", "inactive", "email_not_verified"),
    LOGINS_LOCKED: ("address", "account"),
    LOCKOUTS: ("address", "account"),
    DATABASE_ERRORS: ("unavailable", "disk_full", "conflict"),
}
for _counter, _values in KNOWN.items():
    for _value in _values:
        _counter.labels(_value)


def upload_stored(size: int) -> None:
    UPLOADS.inc()
    UPLOAD_BYTES.inc(size)


def login_failed(reason: str) -> None:
    LOGIN_FAILURES.labels(reason).inc()


def login_locked(scope: str | None) -> None:
    LOGINS_LOCKED.labels(scope or "unknown").inc()


def lockout(scope: str) -> None:
    LOCKOUTS.labels(scope).inc()
