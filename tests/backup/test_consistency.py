"""A backup taken under write load restores every acknowledged write with
its files; a SQLite backup includes what is still in the WAL."""
from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from janus.access import Actor
from janus.backup.create import create_backup
from janus.backup.restore import restore_backup
from janus.db import database, make_database, sqlite_path
from janus.migrate import applied, migration_names
from janus.models import Image, Log
from janus.services.images import delete_image
from tests.backup.helpers import (
    bound,
    file_store,
    ingest,
    png,
    store_listing,
)
from tests.helpers import make_user
from tests.schema import introspect


# -- under write load -----------------------------------------------------------
class Writer(threading.Thread):
    """Uploads images (janus.services.images.upload) and appends log rows, as
    the service would, recording each write once its transaction has committed.
    Deletes (janus.services.images.delete_image: audit row + delete, then
    release) on request."""

    def __init__(self, owners, config):
        super().__init__(daemon=True)
        self.owners, self.config = owners, config
        self.images: list[tuple[int, str, str]] = []  # (id, sha256, storage_key)
        self.logs: list[tuple[int, int]] = []  # (id, n)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.delete_requests: list[int] = []
        self.deleted: list[int] = []
        self.error: BaseException | None = None

    def acked(self) -> int:
        with self.lock:
            return len(self.images) + len(self.logs)

    def run(self):
        database.connect(reuse_if_open=True)
        try:
            n = 1000
            while not self.stop.is_set():
                n += 1
                owner = self.owners[n % len(self.owners)]
                image = ingest(owner, png(n), f"load{n}.png", self.config)
                with self.lock:
                    self.images.append((image.id, image.sha256, image.storage_key))
                if n % 4 == 0:  # the same bytes for another owner: one shared file
                    other = self.owners[(n + 1) % len(self.owners)]
                    image = ingest(other, png(n), f"again{n}.png", self.config)
                    with self.lock:
                        self.images.append((image.id, image.sha256, image.storage_key))
                log = Log.create(user=owner, action="load.write", module="load",
                                 log_metadata={"n": n})
                with self.lock:
                    self.logs.append((log.id, n))
                while self.delete_requests:
                    image = Image.get_by_id(self.delete_requests.pop())
                    delete_image(Actor(image.owner), image.id, file_store(self.config))
                    self.deleted.append(image.id)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            database.close()

    def wait_for(self, count: int, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while self.acked() < count:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "the writer stalled"
            time.sleep(0.005)


def test_backup_under_write_load_restores_every_acknowledged_write(
        db, database_url, db_factory, config, storage, tmp_path, backend):
    owners = [make_user(f"load{i}") for i in range(3)]
    for i in range(20):  # files already there before the load starts
        ingest(owners[i % 3], png(i), f"before{i}.png", config)
    writer = Writer(owners, config)
    writer.start()
    victim = None
    try:
        writer.wait_for(15)
        # Acknowledged before the backup began: these must all come back.
        with writer.lock:
            before_images, before_logs = list(writer.images), list(writer.logs)
        # An image in the first snapshot whose rows are deleted (and its file
        # released) after that snapshot, before the files are copied.
        victim = ingest(owners[0], png(999_999), "victim.png", config)
        events = []

        def between_snapshot_and_files(snap, attempt):
            events.append((attempt, victim.storage_key in snap.storage_keys))
            seen = writer.acked()
            if attempt == 1:
                writer.delete_requests.append(victim.id)
                deadline = time.monotonic() + 30
                while victim.id not in writer.deleted:
                    assert writer.error is None and time.monotonic() < deadline
                    time.sleep(0.005)
            writer.wait_for(seen + 3)  # the service keeps writing meanwhile

        created = create_backup(database_url, storage, tmp_path / "backups",
                                on_snapshot=between_snapshot_and_files)
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert writer.acked() > len(before_images) + len(before_logs) + 6  # it wrote during the backup
    # The vanished file was noticed and a second snapshot (without its row) taken.
    assert events == [(1, True), (2, False)]
    assert created.attempts == 2

    target, target_storage = db_factory.new_url(), tmp_path / "restored-storage"
    restore_backup(created.path, target, target_storage)

    with bound(target) as restored:
        got_images = {i.id: (i.sha256, i.storage_key) for i in Image.select()}
        got_logs = {log.id: log.log_metadata.get("n") for log in
                    Log.select().where(Log.action == "load.write")}
        assert applied(restored) == migration_names()
        if backend == "sqlite":
            check = restored.execute_sql("PRAGMA integrity_check").fetchall()
            assert check == [("ok",)]
    for image_id, digest, key in before_images:
        assert got_images.get(image_id) == (digest, key)
    for log_id, n in before_logs:
        assert got_logs.get(log_id) == n
    assert victim.id not in got_images
    # Every restored row has its file, byte for byte; the store holds nothing else.
    keys = {key for _digest, key in got_images.values() if key}
    assert store_listing(target_storage) == {key: key.rsplit("/", 1)[1] for key in keys}
    assert all(digest == key.rsplit("/", 1)[1] for digest, key in got_images.values())
    assert len(got_images) == created.manifest.counts["images"]
    # Same schema as a database migrated from scratch.
    # Same schema as the source. PostgreSQL re-parses CHECK expressions on
    # restore, so their text may differ; their number per table may not.
    def shape(url):
        other = make_database(url, 1)
        try:
            schema = introspect(other)
        finally:
            other.close_all()
        return ({k: v for k, v in schema.items() if " CHECK " not in k},
                sorted(k.split(" CHECK ", 1)[0] for k in schema if " CHECK " in k))
    assert shape(target) == shape(database_url)


def test_sqlite_backup_includes_what_is_still_in_the_wal(db, database_url, storage, tmp_path,
                                                          backend):
    if backend != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has no WAL file to miss")
    path = Path(sqlite_path(database_url))
    for i in range(5):
        make_user(f"wal{i}")
    assert Path(f"{path}-wal").stat().st_size > 0
    plain = tmp_path / "plain-copy.db"
    # What a file copy would capture. In another process: closing any
    # descriptor of the file would drop this process's POSIX locks on it,
    # which SQLite's open connections here rely on.
    subprocess.run(["cp", str(path), str(plain)], check=True)
    with contextlib.closing(sqlite3.connect(plain)) as conn:
        try:
            plain_users = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        except sqlite3.OperationalError:  # even the table may still be in the WAL
            plain_users = 0
    created = create_backup(database_url, storage, tmp_path / "backups")
    assert created.manifest.counts["users"] == 5
    assert plain_users < 5  # the point of using the backup API

