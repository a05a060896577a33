"""Running the service: /health, an unreachable or unmigrated database,
request ids, the access log and CORS."""
from __future__ import annotations

import io
import json
import logging
import re
import time

import pytest
import webtest

from janus.db import database
from janus.errors import RETRY_AFTER_UNAVAILABLE
from janus.migrate import migration_names
from janus.models import SecurityEvent
from janus.repos.images import images
from janus.web import access_line
from janus.web.app import JsonLineFormatter, create_app
from tests.api.helpers import CLIENT_IP, assert_error, call, image_body, upload
from tests.helpers import migrate
from tests.images import photo_like, save

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def own_database(db):
    """For tests that point the app at another database: put the shared
    proxy back on the test database afterwards (the db fixture cleans up
    through it)."""
    original = database.obj
    yield
    if database.obj is not original:
        other = database.obj
        if hasattr(other, "close_all"):
            other.close_all()
        database.initialize(original)


# -- health -----------------------------------------------------------------

def test_health_reports_the_database(client, backend):
    res = client.get("/health")
    assert res.status_int == 200
    assert res.content_type == "application/json"
    assert res.json == {"status": "ok", "database": backend, "database_writes": "ok",
                        "storage": "ok"}


@pytest.mark.parametrize("method, path", [
    ("GET", "/health"), ("GET", "/images"), ("POST", "/auth/login")])
def test_unreachable_database_is_503(make_config, own_database, alice, method, path):
    client = webtest.TestApp(create_app(make_config(DATABASE_URL=UNREACHABLE)))
    res = call(client, method, path, alice,
               json={"login": "alice", "password": "x"} if method == "POST" else None)
    error = assert_error(res, 503, "service_unavailable")
    assert "database" in error["message"]
    assert res.headers["Retry-After"] == str(RETRY_AFTER_UNAVAILABLE)
    for leak in ("Traceback", "127.0.0.1", "refused", "psycopg2", "nowhere"):
        assert leak not in res.text


def test_openapi_needs_no_database(make_config, own_database):
    client = webtest.TestApp(create_app(make_config(DATABASE_URL=UNREACHABLE)))
    res = client.get("/openapi.json", status="*")
    assert res.status_int == 200
    assert res.json["openapi"].startswith("3.1")


def test_unmigrated_database_is_503_until_migrated(make_config, own_database, db_factory):
    client = webtest.TestApp(create_app(make_config(DATABASE_URL=db_factory.new_url())))
    res = client.get("/health", status="*")
    error = assert_error(res, 503, "not_migrated")
    assert res.headers["Retry-After"] == str(RETRY_AFTER_UNAVAILABLE)
    # A migration is pending; which ones is for the operator's log, not for clients.
    assert error["message"] == "database is not migrated (a migration is pending); " \
        "run: janus-migrate"
    assert "details" not in error
    assert "001_initial" in migration_names()
    assert not any(name in res.text for name in migration_names())
    console = client.get("/console/login", status="*")  # the console's HTML page too
    assert console.status_int == 503
    assert not any(name in console.text for name in migration_names())
    assert_error(client.post_json("/auth/register", {"email": "a@b.c", "username": "a",
                                                     "password": "longenough"}, status="*"),
                 503, "not_migrated")
    migrate(database.obj)
    res = client.get("/health", status="*")
    assert res.status_int == 200, res.text
    assert "Retry-After" not in res.headers
    assert res.json["status"] == "ok"


# -- request ids ------------------------------------------------------------

@pytest.mark.parametrize("method, path, status", [
    ("GET", "/health", 200), ("GET", "/nope", 404), ("DELETE", "/health", 405),
    ("GET", "/images", 401)])
def test_request_id_is_generated(client, method, path, status):
    first = call(client, method, path)
    second = call(client, method, path)
    assert first.status_int == second.status_int == status
    assert GENERATED_ID.match(first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    if status >= 400:
        assert first.json["error"]["request_id"] == first.headers["X-Request-ID"]


@pytest.mark.parametrize("given", ["abc-123_X.y", "a" * 64, "0b9c2f1e-9c1d-4a5b-8f00-1234567890ab"])
def test_sane_incoming_request_id_is_reused(client, given):
    res = client.get("/health", headers={"X-Request-ID": given})
    assert res.status_int == 200
    assert res.headers["X-Request-ID"] == given
    error = client.get("/nope", headers={"X-Request-ID": given}, status="*")
    assert_error(error, 404, "not_found")
    assert error.json["error"]["request_id"] == given


@pytest.mark.parametrize("given", ["has space", "a" * 65, "<script>", "id;drop", "ünïcode",
                                   "line\tbreak", "caf\xc3\xa9"])
def test_insane_incoming_request_id_is_replaced(client, given):
    res = client.get("/health", headers={"X-Request-ID": given})
    assert res.status_int == 200
    assert GENERATED_ID.match(res.headers["X-Request-ID"])


# A header that is not UTF-8 (WSGI hands it over as latin-1) is the client's
# problem, never a 500.
NOT_UTF8 = "\xfc\xff"


@pytest.mark.parametrize("method, path, headers, status", [
    ("GET", "/health", {"X-Request-ID": NOT_UTF8}, 200),
    ("GET", "/images", {"Authorization": f"Bearer {NOT_UTF8}"}, 401),
    ("GET", "/images", {"Authorization": NOT_UTF8}, 401),
    ("GET", "/health", {"Origin": NOT_UTF8}, 200),
    ("OPTIONS", "/images", {"Origin": NOT_UTF8, "Access-Control-Request-Method": NOT_UTF8}, 405),
])
def test_header_that_is_not_utf8_is_no_crash(client, method, path, headers, status):
    res = call(client, method, path, headers=headers)
    assert res.status_int == status, res.text
    assert GENERATED_ID.match(res.headers["X-Request-ID"])
    if status >= 400:
        assert_error(res, status, {401: "unauthorized", 405: "method_not_allowed"}[status])


@pytest.mark.parametrize("route", ["file", "thumbnail"])
def test_if_none_match_that_is_not_utf8_is_no_crash(client, alice, route):
    shot = upload(client, alice, save(photo_like(41, (64, 48)), "PNG"))
    assert shot.status_int == 201, shot.text
    res = call(client, "GET", f"/images/{shot.json['id']}/{route}", alice,
               headers={"If-None-Match": NOT_UTF8})
    assert res.status_int == 200
    assert res.body
    cached = call(client, "GET", f"/images/{shot.json['id']}/{route}", alice,
                  headers={"If-None-Match": res.headers["ETag"]})
    assert cached.status_int == 304


def test_user_agent_that_is_not_utf8_is_recorded(client, alice):
    res = call(client, "POST", "/auth/login", headers={"User-Agent": f"agent {NOT_UTF8}"},
               json={"login": "alice", "password": alice.password})
    assert res.status_int == 200, res.text
    event = SecurityEvent.get(SecurityEvent.action == "login_success")
    assert event.user_agent.startswith("agent ")


def test_user_agent_in_utf8_is_decoded(client, alice):
    res = call(client, "POST", "/auth/login",
               headers={"User-Agent": "caf\xc3\xa9/1.0"},  # "café/1.0" as UTF-8 bytes
               json={"login": "alice", "password": alice.password})
    assert res.status_int == 200, res.text
    assert SecurityEvent.get(SecurityEvent.action == "login_success").user_agent == "café/1.0"


# -- access log -------------------------------------------------------------

@pytest.fixture(params=["file", "memory", "logger"])
def access_lines(request, tmp_path, janus_log, monkeypatch):
    """The access lines written from now on, parsed, wherever they go: the
    JSON handler's file (one os.write per line), a stream with no file
    behind it, or, with logging set up without that handler, records of
    the janus.access logger formatted as JSON lines."""
    logger = logging.getLogger("janus")
    (handler,) = [h for h in logger.handlers if h.name == access_line.HANDLER_NAME]
    formatter = JsonLineFormatter()
    if request.param == "logger":
        monkeypatch.setattr(logger, "handlers", [h for h in logger.handlers if h is not handler])
        return lambda: [formatter.format(r) for r in janus_log.records
                        if r.name == "janus.access"]
    if request.param == "file":
        stream = open(tmp_path / "access.log", "w+")  # noqa: SIM115 -- closed below
        request.addfinalizer(stream.close)
    else:
        stream = io.StringIO()
    previous = handler.setStream(stream)
    request.addfinalizer(lambda: handler.setStream(previous))

    def lines():
        stream.seek(0)
        return [line for line in stream.read().splitlines(keepends=True)
                if '"janus.access"' in line]
    return lines


def test_one_json_access_line_per_request(make_config, access_lines, alice, monkeypatch):
    client = webtest.TestApp(create_app(make_config(JANUS_LOG_LEVEL="INFO")),
                             extra_environ={"REMOTE_ADDR": CLIENT_IP})
    monkeypatch.setattr(images, "delete", lambda *a, **k: 1 / 0)
    image = call(client, "POST", "/images", alice, json=image_body()).json
    requests = [
        ("GET", "/health", None, None, 200, None),
        ("GET", "/images", alice, {"limit": 5}, 200, alice.id),
        ("POST", "/images", alice, {"width": 0}, 422, alice.id),
        ("GET", "/nope", None, None, 404, None),
        ("PATCH", "/logs", alice, None, 405, None),
        ("GET", "/images", None, None, 401, None),
        ("DELETE", f"/images/{image['id']}", alice, None, 500, alice.id),
    ]
    for method, path, actor, data, status, user_id in requests:
        before = len(access_lines())
        if method == "POST":
            res = call(client, method, path, actor, json=data)
        else:
            res = call(client, method, path, actor, params=data or "")
        assert res.status_int == status, res.text
        lines = access_lines()[before:]
        assert len(lines) == 1, (method, path, lines)
        line = lines[0].rstrip("\n")
        assert "\n" not in line
        entry = json.loads(line)
        assert list(entry) == ["ts", "level", "logger", "message", "request_id", "method",
                               "path", "status", "duration_ms", "user_id", "ip"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["ts"])
        assert (entry["logger"], entry["level"], entry["message"]) == \
            ("janus.access", "info", "request")
        assert (entry["method"], entry["path"], entry["status"], entry["user_id"]) == \
            (method, path, status, user_id)
        assert isinstance(entry["duration_ms"], (int, float)) and entry["duration_ms"] >= 0
        assert entry["request_id"] == res.headers["X-Request-ID"]
        assert entry["ip"] == CLIENT_IP
        assert "Authorization" not in line and alice.token not in line


def test_access_line_time_is_the_formatters(make_config, access_lines):
    """The access line's ts is what the JSON formatter writes for a record made
    at the same moment (UTC, to the second)."""
    client = webtest.TestApp(create_app(make_config(JANUS_LOG_LEVEL="INFO")))
    formatter = JsonLineFormatter()
    formatter.converter = time.gmtime
    for _ in range(3):
        before = formatter.formatTime(logging.makeLogRecord({}), "%Y-%m-%dT%H:%M:%S") + "Z"
        assert client.get("/health").status_int == 200
        after = formatter.formatTime(logging.makeLogRecord({}), "%Y-%m-%dT%H:%M:%S") + "Z"
        assert json.loads(access_lines()[-1])["ts"] in (before, after)


def test_access_log_follows_the_configured_level(make_config, access_lines):
    client = webtest.TestApp(create_app(make_config(JANUS_LOG_LEVEL="WARNING")))
    assert client.get("/health").status_int == 200
    assert access_lines() == []


# -- CORS -------------------------------------------------------------------

ORIGIN = "https://app.example"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "PATCH",
             "Access-Control-Request-Headers": "Authorization, Content-Type"}


def _cors_headers(res):
    return {k: v for k, v in res.headers.items() if k.lower().startswith("access-control-")}


@pytest.fixture
def cors_client(make_config, db):
    config = make_config(JANUS_CORS_ORIGINS=f"{ORIGIN}, https://admin.example")
    return webtest.TestApp(create_app(config))


def test_no_cors_headers_by_default(client, alice):
    res = call(client, "GET", "/images", alice, headers={"Origin": ORIGIN})
    assert res.status_int == 200
    assert _cors_headers(res) == {}
    # Without JANUS_CORS_ORIGINS no CORS hook is installed: a preflight is an
    # ordinary OPTIONS request, which no route accepts.
    pre = client.options("/images", headers=PREFLIGHT, status="*")
    assert pre.status_int == 405
    assert _cors_headers(pre) == {}


@pytest.mark.parametrize("origin", [ORIGIN, "https://admin.example"])
@pytest.mark.parametrize("path", ["/images", "/images/123", "/auth/login"])
def test_preflight_is_answered_for_allowed_origins(cors_client, origin, path):
    res = cors_client.options(path, headers=dict(PREFLIGHT, Origin=origin), status="*")
    assert res.status_int == 204
    assert res.body == b""
    assert res.headers["Access-Control-Allow-Origin"] == origin
    methods = {m.strip() for m in res.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PATCH", "DELETE"} <= methods
    allowed = {h.strip().lower() for h in res.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-request-id"} <= allowed
    assert "Origin" in res.headers.get("Vary", "")
    assert res.headers.get("X-Request-ID")


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/images", 200), ("GET", "/images/999999", 404), ("GET", "/nope", 404)])
def test_simple_request_from_an_allowed_origin(cors_client, alice, method, path, status):
    res = call(cors_client, method, path, alice, headers={"Origin": ORIGIN})
    assert res.status_int == status
    assert res.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip() for h in res.headers["Access-Control-Expose-Headers"].split(",")}
    assert "X-Request-ID" in exposed
    assert "Origin" in res.headers.get("Vary", "")


@pytest.mark.parametrize("origin", ["https://evil.example", "https://app.example.evil",
                                    "http://app.example", "null"])
def test_foreign_origin_gets_no_cors_headers(cors_client, alice, origin):
    pre = cors_client.options("/images", headers=dict(PREFLIGHT, Origin=origin), status="*")
    assert pre.status_int == 204
    assert _cors_headers(pre) == {}
    res = call(cors_client, "GET", "/images", alice, headers={"Origin": origin})
    assert res.status_int == 200
    assert _cors_headers(res) == {}


# -- client address behind a reverse proxy ---------------------------------------
@pytest.mark.parametrize("trusted, forwarded, recorded", [
    ("", "203.0.113.9", CLIENT_IP),                       # no trusted proxy: header ignored
    (CLIENT_IP, "203.0.113.9", "203.0.113.9"),            # the proxy says who it served
    (CLIENT_IP, "6.6.6.6, 203.0.113.9", "203.0.113.9"),   # a client-forged hop is skipped
    (f"{CLIENT_IP},10.0.0.2", "203.0.113.9, 10.0.0.2", "203.0.113.9"),  # two proxies
    ("10.0.0.2", "203.0.113.9", CLIENT_IP),               # the peer is not a trusted proxy
])
def test_client_address_comes_from_trusted_proxies_only(db, make_config, alice, trusted,
                                                        forwarded, recorded, access_lines):
    config = make_config(JANUS_TRUSTED_PROXIES=trusted, JANUS_LOG_LEVEL="INFO")
    client = webtest.TestApp(create_app(config), extra_environ={"REMOTE_ADDR": CLIENT_IP})
    res = client.post_json("/auth/login", {"login": "alice", "password": "wrong password"},
                           headers={"X-Forwarded-For": forwarded}, status=401)
    assert res.json["error"]["code"] == "unauthorized"
    event = SecurityEvent.select().order_by(SecurityEvent.id.desc()).first()
    assert (event.action, event.ip) == ("login_failed", recorded)
    lines = access_lines()
    assert lines and json.loads(lines[-1])["ip"] == recorded
