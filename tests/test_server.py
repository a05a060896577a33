"""The app under a real gunicorn (workers x threads), on each backend.

WebTest runs everything in one thread; connection pooling across gunicorn's
threads only shows up with the real server and concurrent clients.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from janus.db import init_database
from janus.repos.users import users
from janus.services.auth import issue_token
from tests.helpers import PROJECT_ROOT, migrate
from tests.live import worker_pids

GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port, method, path, token=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data) if data else None


@pytest.fixture
def server(gunicorn):
    return gunicorn[:3]


@pytest.fixture
def gunicorn(db_factory, tmp_path):
    """(port, token, user id, the gunicorn master process)."""
    url = db_factory.new_url()
    db = init_database(url)
    migrate(db)
    user = users.register("server@example.com", "server", "quiet-lantern-harbour")
    token = issue_token(user, 3600).plain
    db.close()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "JANUS_BIND": f"127.0.0.1:{port}",
           "JANUS_WORKERS": "2", "JANUS_THREADS": "4", "JANUS_LOG_LEVEL": "WARNING",
           "JANUS_STORAGE_DIR": str(tmp_path / "storage"),
           "JANUS_DATA_DIR": str(tmp_path / "data")}
    with open(tmp_path / "gunicorn.log", "w") as log:
        proc = subprocess.Popen([str(GUNICORN), "app:app"], cwd=PROJECT_ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if request(port, "GET", "/health")[0] == 200:
                        break
                except OSError:
                    pass
                assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
            yield port, token, user.id, proc
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            db.close_all()


def test_concurrent_requests_share_pooled_connections(server, tmp_path):
    port, token, user_id = server

    def one(i):
        if i % 3 == 0:
            return request(port, "POST", "/analytics", token,
                           {"research_topic": "load", "data": {"i": i}})[0]
        if i % 3 == 1:
            return request(port, "GET", "/auth/me", token)[0]
        return request(port, "GET", "/images?limit=5", token)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(one, range(120)))
    assert set(statuses) <= {200, 201}, (tmp_path / "gunicorn.log").read_text()[-3000:]
    status, page = request(port, "GET", "/analytics?limit=500", token)
    assert status == 200
    assert len(page["items"]) == 40
    # every write left its audit row, in the same transaction
    status, logs = request(port, "GET", "/logs?action=analytics.created&limit=500", token)
    assert status == 200 and len(logs["items"]) == 40
    assert {row["user_id"] for row in logs["items"]} == {user_id}


def _post_until_answered(port, token, key, body, seen):
    """POST with an Idempotency-Key, retrying the same key after every broken
    connection or 503 (a worker killed mid-request) until a real answer."""
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/analytics", body=json.dumps(body),
                         headers={"Authorization": f"Bearer {token}",
                                  "Content-Type": "application/json", "Idempotency-Key": key})
            response = conn.getresponse()
            data = response.read()
            conn.close()
        except (OSError, http.client.HTTPException):
            seen["broken"] += 1
            time.sleep(0.05)
            continue
        if response.status == 503:
            time.sleep(0.05)
            continue
        if response.getheader("Idempotent-Replayed") == "true":
            seen["replayed"] += 1
        return response.status, json.loads(data)
    raise AssertionError(f"{key}: no answer after 200 tries")


def test_killed_workers_neither_lose_nor_double_a_keyed_write(gunicorn, tmp_path):
    """A worker is SIGKILLed after every 4th answer, while other keyed POSTs are
    in flight; every client retries with its key until answered. Each request
    is then stored exactly once, and every client got the answer stored."""
    port, token, _user_id, proc = gunicorn
    rounds, seen = 48, {"broken": 0, "replayed": 0, "kills": 0, "answered": 0}
    lock = threading.Lock()

    def client(i):
        answer = _post_until_answered(port, token, f"crash-{i}",
                                      {"research_topic": "crash", "data": {"i": i}}, seen)
        with lock:
            seen["answered"] += 1
            if seen["answered"] % 4 == 0:
                for pid in worker_pids(proc.pid)[:1]:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                        seen["kills"] += 1
        return answer

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(client, range(rounds)))

    assert all(status == 201 for status, _ in answers), answers
    assert seen["kills"] >= 1
    status, page = request(port, "GET", "/analytics?research_topic=crash&limit=500", token)
    assert status == 200
    stored = sorted(item["data"]["i"] for item in page["items"])
    assert stored == list(range(rounds))  # nothing lost, nothing doubled
    assert {body["id"] for _, body in answers} == {item["id"] for item in page["items"]}
    print(f"\ncrash rounds: {rounds} keyed POSTs, {seen['kills']} worker kills, "
          f"{seen['broken']} broken connections, {seen['replayed']} answers replayed")
