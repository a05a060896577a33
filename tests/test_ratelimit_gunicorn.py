"""Rate limits under a real gunicorn with 2 workers (issue 15, item 4): the
workers of one host share one allowance, with the default store (a SQLite
file in the data directory) and with Redis. Before, each worker counted alone
in memory and 30 registers from one address gave 20 x 201.

The requests go out at once (so both workers serve some), each through the
trusted proxy with an address of this test alone, so a Redis never carries
one run's counts into the next."""
from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from janus.db import init_database
from tests.helpers import migrate
from tests.live import Gunicorn, send

pytestmark = pytest.mark.gunicorn
REDIS_URL = os.environ.get("JANUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUESTS = 30
PASSWORD = "a rate limit test passphrase"


@pytest.fixture(params=["default", "redis"])
def server(request, db_factory, tmp_path):
    url = db_factory.new_url()
    db = init_database(url)
    migrate(db)
    db.close()
    env = {"JANUS_RATE_LIMIT_LOGIN": "10/minute", "JANUS_RATE_LIMIT_REGISTER": "10/hour",
           "JANUS_TRUSTED_PROXIES": "127.0.0.1", "JANUS_DATA_DIR": str(tmp_path / "data")}
    if request.param == "redis":
        env["JANUS_RATE_LIMIT_STORAGE"] = REDIS_URL
    live = Gunicorn(url, tmp_path / "storage", tmp_path / "gunicorn.log", **env).start()
    address = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    try:
        yield live, address
    finally:
        live.stop()
        if request.param == "redis":
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"janus*{address}*"):
                client.delete(key)
            client.close()


def at_once(server, address, path, body_of) -> list[int]:
    def one(n):
        return send(server.port, "POST", path, body=body_of(n),
                    headers={"X-Forwarded-For": address})[0]
    with ThreadPoolExecutor(REQUESTS) as pool:
        return list(pool.map(one, range(REQUESTS)))


def test_registers_from_one_address_share_one_allowance(server):
    live, address = server
    statuses = at_once(live, address, "/auth/register", lambda n: {
        "email": f"rate{n}@example.com", "username": f"rate{n}", "password": PASSWORD})
    assert sorted(statuses) == [201] * 10 + [429] * 20, live.log()


def test_logins_from_one_address_share_one_allowance(server):
    live, address = server
    statuses = at_once(live, address, "/auth/login",
                       lambda n: {"login": f"nobody{n}@example.com", "password": PASSWORD})
    assert set(statuses) == {401, 429}, live.log()
    assert statuses.count(401) <= 10 and statuses.count(429) >= 20
