"""Per-address rate limits on login, register and upload (janus.ratelimit).

The suite's default config sets them far too high to trip; each test here
sets its own low ones. Windows are never waited out: each test only counts
requests inside one window.
"""
from __future__ import annotations

import pytest
import webtest

from janus.config import Config
from janus.models import SecurityEvent, User
from janus.web.app import create_app
from tests.api.helpers import CLIENT_IP, PASSWORD, assert_error, row_counts, upload
from tests.images import photo_like, save

OTHER_IP = "203.0.113.50"


@pytest.fixture
def limited(db, make_config):
    """limited(**env) -> a function giving WebTest clients of one app, by address."""
    def make(**env):
        app = create_app(make_config(**env))

        def client(ip: str = CLIENT_IP):
            return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": ip})
        return client
    return make


def login(client, name="alice", password=PASSWORD):
    return client.post_json("/auth/login", {"login": name, "password": password}, status="*")


def register(client, n: int):
    return client.post_json("/auth/register", {"email": f"new{n}@example.com",
                                               "username": f"new{n}",
                                               "password": PASSWORD}, status="*")


def assert_limited(res, window: int) -> int:
    error = assert_error(res, 429, "too_many_requests")
    assert error["details"]["limit"]
    retry_after = res.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 0 < int(retry_after) <= window
    return int(retry_after)


def test_login_is_limited_per_address_whatever_the_outcome(limited, alice):
    client = limited(JANUS_RATE_LIMIT_LOGIN="3/minute")
    assert login(client()).status_int == 200
    assert login(client(), password="wrong").status_int == 401
    assert login(client(), name="ghost").status_int == 401
    before = row_counts()
    res = login(client())  # the right password, but the fourth request this minute
    assert_limited(res, 60)
    assert "token" not in res.json
    # Refused before the database: no security row, no token.
    assert row_counts() == before
    # Another address has an allowance of its own.
    assert login(client(OTHER_IP)).status_int == 200


def test_several_rates_apply_together(limited, alice):
    client = limited(JANUS_RATE_LIMIT_LOGIN="100/minute;2/hour")
    for _ in range(2):
        assert login(client()).status_int == 200
    retry_after = assert_limited(login(client()), 3600)
    assert retry_after > 60  # the hourly rate refuses, not the per-minute one


def test_a_refused_request_is_not_read(limited, alice):
    """The limit comes before body decoding: a broken body gets 429, not 400."""
    client = limited(JANUS_RATE_LIMIT_LOGIN="1/minute")
    assert login(client()).status_int == 200
    res = client().post("/auth/login", b"{not json", content_type="application/json",
                        status="*")
    assert_limited(res, 60)


def test_register_is_limited_per_address(limited):
    client = limited(JANUS_RATE_LIMIT_REGISTER="2/hour")
    assert [register(client(), n).status_int for n in (1, 2)] == [201, 201]
    assert_limited(register(client(), 3), 3600)
    assert not User.select().where(User.username == "new3").exists()
    assert register(client(OTHER_IP), 4).status_int == 201


def test_upload_is_limited_per_address(limited, alice, tmp_path):
    client = limited(JANUS_RATE_LIMIT_UPLOAD="1/minute")
    first = upload(client(), alice, save(photo_like(31, (32, 24)), "PNG"), "one.png")
    assert first.status_int == 201, first.text
    before = row_counts()
    res = upload(client(), alice, save(photo_like(32, (32, 24)), "PNG"), "two.png")
    assert_limited(res, 60)
    assert row_counts() == before
    # Metadata-only records go through the same route and the same limit.
    res = client().post_json("/images", {"filename": "m.png", "format": "PNG", "width": 1,
                                         "height": 1}, headers=alice.headers, status="*")
    assert_limited(res, 60)


def test_other_routes_are_not_limited(limited, alice):
    client = limited(JANUS_RATE_LIMIT_LOGIN="1/minute", JANUS_RATE_LIMIT_UPLOAD="1/minute")
    for _ in range(5):
        assert client().get("/auth/me", headers=alice.headers, status="*").status_int == 200
        assert client().get("/images", headers=alice.headers, status="*").status_int == 200


@pytest.mark.parametrize("setting", ["", "1000/minute"])
def test_an_empty_or_generous_rate_lets_everything_through(limited, alice, setting):
    client = limited(JANUS_RATE_LIMIT_LOGIN=setting)
    statuses = {login(client()).status_int for _ in range(12)}
    assert statuses == {200}


def test_the_default_login_rate_refuses_the_eleventh_request(limited, alice):
    defaults = Config.from_env(env={})
    client = limited(JANUS_RATE_LIMIT_LOGIN=defaults.rate_limit_login)
    assert defaults.rate_limit_login == "10/minute"
    assert [login(client()).status_int for _ in range(11)] == [200] * 10 + [429]


def test_the_address_behind_a_trusted_proxy_is_the_key(limited, alice):
    proxy = "10.0.0.1"
    client = limited(JANUS_RATE_LIMIT_LOGIN="1/minute", JANUS_TRUSTED_PROXIES=proxy)

    def via_proxy(forwarded_for):
        return client(proxy).post_json("/auth/login", {"login": "alice", "password": PASSWORD},
                                       headers={"X-Forwarded-For": forwarded_for}, status="*")
    assert via_proxy("192.0.2.1").status_int == 200
    assert via_proxy("192.0.2.2").status_int == 200
    assert_limited(via_proxy("192.0.2.1"), 60)
    # A client cannot pick its own key by prepending addresses of its own.
    assert_limited(via_proxy("192.0.2.77, 192.0.2.1"), 60)


def test_a_rate_limited_login_is_logged_not_recorded(limited, alice, janus_log):
    client = limited(JANUS_RATE_LIMIT_LOGIN="1/minute")
    assert login(client()).status_int == 200
    assert_limited(login(client()), 60)
    assert [row.action for row in SecurityEvent.select()] == ["login_success"]
    lines = [r.msg for r in janus_log.records if isinstance(r.msg, dict)
             and r.msg.get("message") == "rate limited"]
    assert lines and lines[0]["rule"] == "login" and lines[0]["ip"] == CLIENT_IP


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/images"])
def test_the_openapi_document_lists_429_on_the_limited_routes(client, path):
    doc = client.get("/openapi.json").json
    responses = doc["paths"][path]["post"]["responses"]
    assert "429" in responses
    assert responses["429"]["content"]["application/json"]["schema"]


def test_unlimited_routes_do_not_list_429(client):
    doc = client.get("/openapi.json").json
    assert "429" not in doc["paths"]["/auth/me"]["get"]["responses"]
    assert "429" not in doc["paths"]["/images"]["get"]["responses"]
