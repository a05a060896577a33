"""GET /metrics in-process (no PROMETHEUS_MULTIPROC_DIR: the default
registry): what it counts after traffic, its labels, and who may read it.

The registry lives as long as the test process, so every check is on the
difference between two scrapes."""
from __future__ import annotations

import importlib.metadata

import peewee as pw
import pytest
import webtest
from prometheus_client.parser import text_string_to_metric_families

from janus import metrics
from janus.config import Config, ConfigError
from janus.models import User
from janus.web.app import create_app
from tests.api.helpers import CLIENT_IP, PASSWORD, assert_error, call, upload
from tests.images import photo_like, save

LOOPBACK = "127.0.0.1"


def scrape(app, address: str = LOOPBACK) -> dict:
    """{(sample name, sorted label items): value} of one scrape."""
    res = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": address}).get("/metrics")
    assert res.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(res.text)
            for sample in family.samples}


def delta(before: dict, after: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def requests(before, after, method, route, status) -> float:
    return delta(before, after, "janus_http_requests_total", method=method, route=route,
                 status=str(status))


# -- what is there before any event -------------------------------------------------------

def test_every_known_label_build_info_and_the_runtime_series(app):
    samples = scrape(app)
    for counter, values in metrics.KNOWN.items():
        (label,) = counter._labelnames
        for known in values:
            assert (f"{counter._name}_total", ((label, known),)) in samples, (counter, known)
    version = importlib.metadata.version("janus")
    assert samples[("janus_build_info", (("version", version),))] == 1.0
    names = {name for name, _ in samples}
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes",
            "python_gc_collections_total"} <= names


# -- what is counted -----------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Unknown REQUEST_METHOD")
def test_requests_by_route_pattern_method_and_status(app, client, alice):
    before = scrape(app)
    for _ in range(3):
        client.get("/", status=200)
    call(client, "GET", "/images/987654", alice)  # 404: no such image
    client.get("/images/987654", status=401)
    client.get("/no/such/path/123456", status=404)
    client.request("/", method="BREW", status=405)
    after = scrape(app)
    assert requests(before, after, "GET", "/", 200) == 3
    assert requests(before, after, "GET", "/images/<image_id:int>", 404) == 1
    assert requests(before, after, "GET", "/images/<image_id:int>", 401) == 1
    assert requests(before, after, "GET", "unmatched", 404) == 1
    assert requests(before, after, "other", "unmatched", 405) == 1
    assert delta(before, after, "janus_http_request_duration_seconds_count",
                 method="GET", route="/") == 3
    assert delta(before, after, "janus_http_request_duration_seconds_bucket",
                 method="GET", route="/", le="+Inf") == 3
    # Raw ids, paths and methods from clients never become label values.
    labels = " ".join(str(key) for key in after)
    for raw in ("987654", "123456", "BREW", "/no/such"):
        assert raw not in labels


def test_uploads_count_files_and_bytes_stored(app, client, alice):
    data = save(photo_like(31, (40, 30)), "PNG")
    before = scrape(app)
    assert upload(client, alice, data).status_int == 201
    assert upload(client, alice, data).status_int == 409  # a duplicate stores nothing
    after = scrape(app)
    assert delta(before, after, "janus_uploads_total") == 1
    assert delta(before, after, "janus_upload_bytes_total") == len(data)
    assert requests(before, after, "POST", "/images", 201) == 1
    assert requests(before, after, "POST", "/images", 409) == 1


def login(client, name, password, status):
    client.post_json("/auth/login", {"login": name, "password": password}, status=status)


def test_login_failures_lockouts_and_locked_logins(app, make_config, alice):
    client = webtest.TestApp(create_app(make_config(JANUS_LOCKOUT_THRESHOLD=3)),
                             extra_environ={"REMOTE_ADDR": CLIENT_IP})
    before = scrape(app)
    for _ in range(3):
        login(client, alice.user.email, "not the password", 401)
    login(client, alice.user.email, PASSWORD, 429)  # locked, even with the right password
    login(client, "nobody@example.com", "whatever", 401)
    login(client, alice.user.email.upper(), PASSWORD, 429)
    after = scrape(app)
    failures = "janus_login_failures_total"
    assert delta(before, after, failures, reason="invalid_credentials") == 4
    assert delta(before, after, "janus_lockouts_total", scope="address") == 1
    assert delta(before, after, "janus_logins_locked_total", scope="address") == 2


@pytest.mark.parametrize("name", ["alice", "nobody@example.com"])
def test_login_failures_do_not_tell_which_accounts_exist(app, alice, name):
    """Issue 15, item 12: a wrong password and an unknown account move the
    same series, and no series is named after either."""
    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": CLIENT_IP})
    before = scrape(app)
    login(client, alice.user.email if name == "alice" else name, "not the password", 401)
    after = scrape(app)
    moved = {labels for (metric, labels), value in after.items()
             if metric == "janus_login_failures_total" and value != before.get((metric, labels), 0)}
    assert moved == {(("reason", "invalid_credentials"),)}
    text = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": LOOPBACK}).get("/metrics").text
    assert "unknown_account" not in text and "wrong_password" not in text


def test_a_login_waiting_for_its_email_is_counted(app, make_config, alice):
    """At 0 from start-up (the test above), then one per 403 email_not_verified."""
    client = webtest.TestApp(create_app(make_config(JANUS_REQUIRE_EMAIL_VERIFICATION="true")),
                             extra_environ={"REMOTE_ADDR": CLIENT_IP})
    User.update(email_verified_at=None).where(User.id == alice.id).execute()
    before = scrape(app)
    login(client, alice.user.email, PASSWORD, 403)
    login(client, alice.user.email, "not the password", 401)  # told apart: a 401
    after = scrape(app)
    failures = "janus_login_failures_total"
    assert delta(before, after, failures, reason="email_not_verified") == 1
    assert delta(before, after, failures, reason="invalid_credentials") == 1


class DriverError(Exception):
    pgcode = "40P01"  # deadlock_detected, as psycopg2 reports it


def test_database_errors_and_conflicts(app, client, monkeypatch):
    import janus.web.plugins
    import janus.web.routes.health as health

    monkeypatch.setattr(janus.web.plugins, "RETRY_PAUSE", 0)

    def unavailable():
        raise pw.OperationalError("server closed the connection unexpectedly")

    def deadlock():
        exc = pw.OperationalError("deadlock detected")
        exc.orig = DriverError()
        raise exc

    before = scrape(app)
    monkeypatch.setattr(health, "check_database", unavailable)
    assert_error(client.get("/health", status=503), 503, "service_unavailable")
    monkeypatch.setattr(health, "check_database", deadlock)
    assert_error(client.get("/health", status=503), 503, "service_unavailable")
    after = scrape(app)
    errors = "janus_database_errors_total"
    assert delta(before, after, errors, kind="unavailable") == 1
    assert delta(before, after, errors, kind="conflict") == 1
    assert delta(before, after, "janus_database_conflicts_total") == janus.web.plugins.ATTEMPTS


# -- who may read it -------------------------------------------------------------------------
@pytest.mark.parametrize("allow, remote, headers, status", [
    (None, "127.0.0.1", {}, 200),
    (None, "127.8.9.10", {}, 200),
    (None, "::1", {}, 200),
    (None, "::ffff:127.0.0.1", {}, 200),
    (None, CLIENT_IP, {}, 404),
    (None, "", {}, 404),
    # X-Forwarded-For from a peer that is not a trusted proxy is not believed.
    (None, CLIENT_IP, {"X-Forwarded-For": "127.0.0.1"}, 404),
    ("10.0.0.0/8, 192.0.2.5", "10.20.30.40", {}, 200),
    ("10.0.0.0/8, 192.0.2.5", "192.0.2.5", {}, 200),
    ("10.0.0.0/8, 192.0.2.5", "192.0.2.6", {}, 404),
    ("10.0.0.0/8, 192.0.2.5", "127.0.0.1", {}, 404),
    ("2001:db8::/32", "2001:db8::7", {}, 200),
], ids=lambda value: str(value))
def test_allow_list(db, make_config, allow, remote, headers, status):
    env = {} if allow is None else {"JANUS_METRICS_ALLOW": allow}
    app = create_app(make_config(**env))
    res = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": remote}).get(
        "/metrics", headers=headers, status="*")
    assert res.status_int == status
    if status == 200:
        assert "# TYPE janus_http_requests_total counter" in res.text
    else:  # the same answer as a path that does not exist
        assert_error(res, 404, "not_found")
        assert "janus_" not in res.text


def test_a_trusted_proxy_on_loopback_does_not_open_it_to_its_clients(db, make_config):
    app = create_app(make_config(JANUS_TRUSTED_PROXIES="127.0.0.1"))
    proxy = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    assert_error(proxy.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, status=404),
                 404, "not_found")
    assert proxy.get("/metrics", status=200).text.startswith("# HELP")


def test_public_never_touches_the_database_and_documented(app):
    (spec,) = [s for s in app.janus_api.specs if s.path == "/metrics"]
    assert (spec.auth, spec.database) == (False, False)
    document = webtest.TestApp(app).get("/openapi.json").json
    op = document["paths"]["/metrics"]["get"]
    assert "text/plain; version=0.0.4" in op["responses"]["200"]["content"]
    assert op.get("security", []) == []
    assert "404" in op["responses"] and "503" not in op["responses"]


@pytest.mark.parametrize("value", ["localhost", "10.0.0.0/33", "127.0.0.1,nope"])
def test_a_bad_allow_list_is_a_config_error(value):
    with pytest.raises(ConfigError, match="JANUS_METRICS_ALLOW"):
        Config.from_env(env={"JANUS_METRICS_ALLOW": value})


def test_allow_list_default():
    assert Config.from_env(env={}).metrics_allow == ("127.0.0.1/8", "::1")
    assert Config.from_env(env={"JANUS_METRICS_ALLOW": " 10.1.0.0/16 ,::1"}).metrics_allow == (
        "10.1.0.0/16", "::1")
