"""Rate limits shared through Redis (JANUS_RATE_LIMIT_STORAGE=redis://...).

Two apps stand for two gunicorn workers (or hosts). Needs the Redis of
JANUS_TEST_REDIS_URL (default 127.0.0.1:6379; .ci/run starts one): an
unreachable one fails these tests, it never skips them. Each test uses
client addresses no other run uses, so runs never share counters.
"""
from __future__ import annotations

import os
import uuid

import pytest
import redis
import webtest

from janus.web.app import create_app
from tests.api.helpers import PASSWORD, assert_error

REDIS_URL = os.environ.get("JANUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def redis_client():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis unreachable at {REDIS_URL}: {exc} "
                    "(start one: redis-server --daemonize yes)", pytrace=False)
    yield client
    client.close()


@pytest.fixture
def address():
    """An address of this test alone (documentation range, random suffix)."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


@pytest.fixture
def workers(db, make_config):
    def make(storage: str, n: int = 2, **env):
        config = make_config(JANUS_RATE_LIMIT_STORAGE=storage, **env)
        return [create_app(config) for _ in range(n)]
    return make


def login(app, ip):
    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": ip})
    return client.post_json("/auth/login", {"login": "alice", "password": PASSWORD},
                            status="*")


def test_workers_share_one_allowance_through_redis(redis_client, workers, alice, address):
    one, two = workers(REDIS_URL, JANUS_RATE_LIMIT_LOGIN="3/minute")
    assert [login(app, address).status_int for app in (one, two, one)] == [200] * 3
    for app in (two, one):
        res = login(app, address)
        assert_error(res, 429, "too_many_requests")
        assert 0 < int(res.headers["Retry-After"]) <= 60
    # The counters are Redis keys under Janus's prefix, keyed by the address.
    keys = [key.decode() for key in redis_client.scan_iter(f"janus*{address}*")]
    assert keys, "no rate-limit key in Redis"
    for key in keys:
        redis_client.delete(key)


def test_in_memory_each_worker_counts_alone(redis_client, workers, alice, address):
    """The contrast: the per-worker default gives each worker its own allowance."""
    one, two = workers("memory://", JANUS_RATE_LIMIT_LOGIN="2/minute")
    assert [login(one, address).status_int for _ in range(2)] == [200] * 2
    assert login(one, address).status_int == 429
    assert login(two, address).status_int == 200
    assert not list(redis_client.scan_iter(f"*{address}*"))


def test_an_unreachable_redis_lets_requests_through_and_logs(workers, alice, address,
                                                             janus_log):
    # Port 1 on the loopback: refused at once.
    (app,) = workers("redis://127.0.0.1:1/0", n=1, JANUS_RATE_LIMIT_LOGIN="1/minute")
    assert [login(app, address).status_int for _ in range(3)] == [200] * 3
    messages = [r.msg.get("message") for r in janus_log.records if isinstance(r.msg, dict)]
    assert "rate limit storage unavailable; request let through" in messages
