"""The shipped gunicorn settings spread keep-alive connections over the
workers: a client that opens its connections at once and keeps them open
must not land them all on one worker (with one shared listening socket the
worker that happens to be awake accepts every one, and keeps them). A
behaviour check, read from /proc (which worker holds which connection), not
a timing one."""
from __future__ import annotations

import http.client
import os
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import workerload
from janus.db import init_database
from tests.helpers import migrate
from tests.live import Gunicorn

pytestmark = pytest.mark.gunicorn
# Per worker: the kernel hashes each connection to a worker's socket, so with
# 16 per worker the chance that one gets none is about workers x e^-16.
CONNECTIONS_PER_WORKER = 16
ROUNDS = 3  # requests per connection
# The settings under test are the shipped defaults: none of these may be set.
SERVING_VARIABLES = ("JANUS_WORKERS", "JANUS_THREADS", "JANUS_WORKER_CLASS", "JANUS_REUSE_PORT")


@pytest.fixture
def server(tmp_path):
    url = f"sqlite:///{tmp_path / 'janus.db'}"
    db = init_database(url)
    migrate(db)
    db.close()
    gunicorn = Gunicorn(url, tmp_path / "storage", tmp_path / "gunicorn.log")
    for name in SERVING_VARIABLES:
        gunicorn.env.pop(name, None)
    yield gunicorn.start()
    gunicorn.stop()


def test_keep_alive_connections_land_on_every_worker(server):
    workers = server.worker_pids()
    assert len(workers) >= 2, server.log()
    connections = CONNECTIONS_PER_WORKER * len(workers)
    conns = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
             for _ in range(connections)]
    try:
        for conn in conns:  # all connected first, as a load generator does
            conn.connect()
        for _ in range(ROUNDS):
            for conn in conns:
                conn.request("GET", "/health")
                response = conn.getresponse()
                response.read()
                assert response.status == 200 and not response.will_close
        # Every connection is still open, held by the worker that served it.
        held = workerload.connections(server.proc.pid, server.port)
        assert sum(held.values()) == connections, held
        assert all(held[pid] > 0 for pid in workers), f"{held}\n{server.log()}"
    finally:
        for conn in conns:
            conn.close()


RESTART_AFTER = 20  # requests per worker (JANUS_MAX_REQUESTS): a restart every few
CLIENTS = 8
REQUESTS = 240


def _one_request(port: int, timeout: float = 30) -> str:
    """A request on a new connection: "ok", or the failure's name."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/health")
        response = conn.getresponse()
        response.read()
        return "ok" if response.status == 200 else str(response.status)
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__
    finally:
        conn.close()


def test_restarting_workers_refuse_or_reset_no_connection(tmp_path):
    """Workers restarting all the time (max_requests): every new connection
    is still answered -- none refused while a worker boots, none reset
    because the worker whose socket it queued on went away."""
    url = f"sqlite:///{tmp_path / 'janus.db'}"
    db = init_database(url)
    migrate(db)
    db.close()
    server = Gunicorn(url, tmp_path / "storage", tmp_path / "gunicorn.log",
                      JANUS_MAX_REQUESTS=RESTART_AFTER, JANUS_MAX_REQUESTS_JITTER=0,
                      JANUS_LOG_LEVEL="INFO")
    for name in SERVING_VARIABLES:
        server.env.pop(name, None)
    server.start()
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            outcomes = Counter(pool.map(lambda _: _one_request(server.port), range(REQUESTS)))
        restarts = server.log_path.read_text().count("Autorestarting worker")
    finally:
        server.stop()
    assert restarts >= 4  # the workers did restart meanwhile
    assert outcomes == {"ok": REQUESTS}, f"{outcomes} ({restarts} restarts)"


def test_fewer_workers_leave_no_socket_that_nobody_serves(server):
    """After SIGTTOU (one worker fewer) the gone worker's slot is closed:
    otherwise the kernel would go on queueing connections on a socket that
    no worker accepts from, and that slot's share of them would hang."""
    workers = len(server.worker_pids())
    os.kill(server.proc.pid, signal.SIGTTOU)
    deadline = time.monotonic() + 30
    while len(server.worker_pids()) != workers - 1:
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.1)
    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = Counter(pool.map(lambda _: _one_request(server.port, timeout=5),
                                    range(CONNECTIONS_PER_WORKER * workers)))
    assert outcomes == {"ok": CONNECTIONS_PER_WORKER * workers}, outcomes
