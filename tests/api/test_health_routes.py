"""GET /health/live answers while the process runs, whatever the database
and the store; GET /health/ready and GET /health give the same readiness
answer, on both stores, probing a writable store at most every
STORE_OK_SECONDS (a refusal is probed again at the next call)."""
from __future__ import annotations

import pytest
import webtest

from janus.services import health
from janus.storage.base import StoreUnreachable
from janus.web.app import create_app
from tests.api.helpers import assert_error
from tests.api.test_operations import UNREACHABLE, own_database  # noqa: F401 - a fixture
from tests.storage import both_stores

pytestmark = both_stores
POLLS = 20


class Probes(list):
    """Every probe of the app's store, in order: True when it wrote, False
    when it was made to fail (``fail = True``)."""
    fail = False


@pytest.fixture
def probes(app, monkeypatch):
    store = app.janus_api.store
    real = store.probe
    calls = Probes()

    def probe():
        if calls.fail:
            calls.append(False)
            raise StoreUnreachable("down")
        real()
        calls.append(True)

    monkeypatch.setattr(store, "probe", probe)
    return calls


@pytest.fixture
def clock(monkeypatch):
    """The readiness cache's clock, moved on by hand."""
    now = [1000.0]
    monkeypatch.setattr(health, "monotonic", lambda: now[0])
    return now


def test_live_is_ok_without_a_database(make_config, own_database):  # noqa: F811
    client = webtest.TestApp(create_app(make_config(DATABASE_URL=UNREACHABLE)))
    res = client.get("/health/live")
    assert (res.status_int, res.json) == (200, {"status": "ok"})
    for path in ("/health/ready", "/health"):
        assert_error(client.get(path, status=503), 503, "service_unavailable")


def test_live_does_not_touch_the_store(client, probes):
    probes.fail = True
    for _ in range(3):
        assert client.get("/health/live").json == {"status": "ok"}
    assert probes == []


def test_ready_and_health_give_the_same_answer(client, probes, clock, backend):
    ok = {"status": "ok", "database": backend, "database_writes": "ok", "storage": "ok"}
    assert client.get("/health/ready").json == client.get("/health").json == ok
    probes.fail = True
    clock[0] += health.STORE_OK_SECONDS + 0.1
    down = client.get("/health/ready", status=503)
    assert down.json == client.get("/health", status=503).json == \
        {**ok, "status": "degraded", "storage": "not writable: the store cannot be reached"}


def test_a_writable_store_is_probed_at_most_every_few_seconds(client, probes, clock):
    for _ in range(POLLS):
        assert client.get("/health/ready").json["storage"] == "ok"
    assert probes == [True]  # one write for every poll within the window

    # A store that fails after its last probe shows once the window is over.
    probes.fail = True
    clock[0] += health.STORE_OK_SECONDS - 0.1
    assert client.get("/health/ready").json["storage"] == "ok"
    clock[0] += 0.2
    assert client.get("/health/ready", status=503).json["status"] == "degraded"
    # A refusal is not kept: each poll probes again, and the first success counts.
    assert client.get("/health/ready", status=503).json["status"] == "degraded"
    probes.fail = False
    assert client.get("/health/ready").json["status"] == "ok"
    assert probes == [True, False, False, True]
