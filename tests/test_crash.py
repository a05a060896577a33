"""Crashes during uploads, under a real gunicorn, on each backend.

Clients upload without pause while a worker is SIGKILLed (the master starts
another), then the master and its workers are all SIGKILLed at once; then the
server is started again on the same database and storage. What this part
guarantees, and asserts: no request was answered 5xx, every upload that was
acknowledged with a 201 is in the database with its file (same SHA-256), and
SQLite's ``PRAGMA integrity_check`` is ok.

Every upload carries an ``Idempotency-Key``. Requests that got no answer (the
connection died with the worker) are retried after the restart with the same
key and body: each must answer 201 (the stored answer, or a first write) and
no bytes may be stored twice (``check_unanswered``). The server restarts with
``JANUS_SWEEP_GRACE_SECONDS=0``, so its start-up sweep must leave no temp
file and no file that no row uses (``check_orphans``).
"""
from __future__ import annotations

import dataclasses
import hashlib
import http.client
import io
import itertools
import os
import signal
import sqlite3
import threading
import time

import pytest
from PIL import Image as PILImage

from janus.db import init_database, sqlite_path
from janus.models import Image
from janus.repos.users import users
from janus.services.auth import issue_token
from tests.helpers import migrate
from tests.live import Gunicorn, multipart_image, send

pytestmark = pytest.mark.gunicorn

CLIENTS = 8
DEADLINE = 120  # seconds; only a stuck run reaches it (and then fails)


def noise_png(n: int) -> bytes:
    """A ~50 KB incompressible PNG, different for every n."""
    im = PILImage.frombytes("RGB", (128, 128), os.urandom(128 * 128 * 3))
    im.putpixel((0, 0), (n % 256, (n // 256) % 256, 0))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


@dataclasses.dataclass
class CrashRun:
    sent: int = 0
    acknowledged: dict = dataclasses.field(default_factory=dict)  # id -> sha256
    statuses: list = dataclasses.field(default_factory=list)
    unanswered: list = dataclasses.field(default_factory=list)  # (key, body, content type)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    progress: threading.Condition = None

    def __post_init__(self):
        self.progress = threading.Condition(self.lock)

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: len(self.acknowledged) >= count, DEADLINE), \
                f"only {len(self.acknowledged)} uploads acknowledged"


def uploader(server_port, token, run: CrashRun, numbers, stop: threading.Event):
    while not stop.is_set():
        with run.lock:
            n = next(numbers)
            run.sent += 1
        data = noise_png(n)
        body, content_type = multipart_image(data, f"crash{n}.png")
        key = f"crash-upload-{n}"
        try:
            status, answer = send(server_port(), "POST", "/images", token, raw=body,
                                  content_type=content_type, timeout=30,
                                  headers={"Idempotency-Key": key})
        except (OSError, http.client.HTTPException):
            with run.lock:
                run.unanswered.append((key, body, content_type))
            time.sleep(0.05)  # the server is down or restarting a worker
            continue
        with run.progress:
            run.statuses.append(status)
            if status == 201:
                assert answer["sha256"] == hashlib.sha256(data).hexdigest()
                run.acknowledged[answer["id"]] = answer["sha256"]
                run.progress.notify_all()


def check_unanswered(run: CrashRun, port: int, token: str) -> None:
    """Retry every unanswered upload with its key: 201 each time (without the
    key, one that had committed would answer 409 "already uploaded"), and no
    bytes stored twice."""
    for key, body, content_type in run.unanswered:
        status, answer = send(port, "POST", "/images", token, raw=body,
                              content_type=content_type, headers={"Idempotency-Key": key})
        assert status == 201, (key, status, answer)
    shas = [sha for (sha,) in Image.select(Image.sha256).tuples()]
    assert len(shas) == len(set(shas)), "an idempotent retry stored an upload twice"


def check_orphans(storage) -> None:
    """After the start-up sweep (grace 0): no temp file, and no original that
    no row uses. The sweep runs in each worker's background thread: wait for it."""
    used = {key for (key,) in Image.select(Image.storage_key).tuples() if key}
    deadline = time.monotonic() + 60
    while True:
        files = [p for p in storage.rglob("*") if p.is_file() and "thumbnails" not in p.parts]
        temps = [p for p in files if p.name.startswith(".tmp-")]
        unused = [p for p in files if not p.name.startswith(".")
                  and p.relative_to(storage).as_posix() not in used]
        if not temps and not unused:
            return
        assert time.monotonic() < deadline, (temps[:3], unused[:3])
        time.sleep(0.5)


@pytest.fixture
def crash_env(db_factory, tmp_path):
    url = db_factory.new_url()
    db = init_database(url)
    migrate(db)
    user = users.create(email="crash@example.com", username="crash", password_hash="x")
    token = issue_token(user, 3600).plain
    db.close()
    servers = []
    yield url, token, tmp_path, servers
    for server in servers:
        server.kill_everything() if server.proc.poll() is None else None
    db.close_all()


def test_sigkill_of_a_worker_and_of_the_master_loses_no_acknowledged_upload(crash_env, backend):
    url, token, tmp_path, servers = crash_env
    storage = tmp_path / "storage"
    server = Gunicorn(url, storage, tmp_path / "gunicorn.log").start()
    servers.append(server)
    run, stop, numbers = CrashRun(), threading.Event(), itertools.count(1)
    threads = [threading.Thread(target=uploader, args=(lambda: server.port, token, run,
                                                       numbers, stop))
               for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        run.wait_for(10)
        workers = server.worker_pids()
        assert workers, server.log()
        os.kill(workers[0], signal.SIGKILL)  # one worker, mid-upload
        run.wait_for(len(run.acknowledged) + 10)  # the master replaced it
        server.kill_everything()  # the master and every worker at once
    finally:
        stop.set()
        for thread in threads:
            thread.join(DEADLINE)
    assert not any(thread.is_alive() for thread in threads)

    restarted = Gunicorn(url, storage, tmp_path / "gunicorn.log",
                         JANUS_SWEEP_GRACE_SECONDS=0).start()
    servers.append(restarted)
    server_errors = [status for status in run.statuses if status >= 500]
    assert not server_errors, server.log()
    assert set(run.statuses) == {201}, run.statuses
    db = init_database(url)
    try:
        rows = {row.id: row
                for row in Image.select().where(Image.id.in_(list(run.acknowledged)))}
        lost = set(run.acknowledged) - set(rows)
        assert not lost, f"acknowledged uploads lost: {sorted(lost)}"
        for image_id, sha in run.acknowledged.items():
            row = rows[image_id]
            assert row.sha256 == sha
            path = storage / row.storage_key
            assert path.is_file(), path
            assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
        check_orphans(storage)
        check_unanswered(run, restarted.port, token)
        # still serving: one more upload after the restart
        body, content_type = multipart_image(noise_png(10**6), "after.png")
        status, answer = send(restarted.port, "POST", "/images", token, raw=body,
                              content_type=content_type)
        assert status == 201, answer
    finally:
        db.close()
        restarted.stop()
    if backend == "sqlite":
        with sqlite3.connect(sqlite_path(url)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    print(f"\n[{backend}] crash: {run.sent} uploads sent, {len(run.acknowledged)} 201s, "
          f"{len(rows)} rows found with their files, {len(server_errors)} 5xx, "
          f"{len(lost)} acknowledged writes lost, {len(run.unanswered)} unanswered and "
          f"retried with their keys (0 duplicates), 0 orphans after the sweep")
