"""GET /health/ready (and /health): is the database reachable, and can the
service still write, to the database and to the file store? The start-up
checks (janus.startup) ask the same of the store."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import peewee as pw

from janus.db import database, is_postgres, sqlite_path
from janus.errors import InsufficientStorage, disk_full_cause
from janus.storage import Store
from janus.storage.base import StoreRefused, StoreUnreachable

OK = "ok"
# How long a store that accepted the probe is taken as writable: a load
# balancer polling every second costs one probe write per worker every two
# seconds, not one per poll. A refusal is never kept: the next poll probes again.
STORE_OK_SECONDS = 2.0
monotonic = time.monotonic  # the cache's clock (a test moves it on)


def check_database() -> str:
    """The backend's name after a trivial query; raises the driver's
    OperationalError (a 503 over HTTP) when the database cannot answer."""
    database.execute_sql("SELECT 1").fetchone()
    return "postgresql" if is_postgres() else "sqlite"


def database_writes() -> str:
    """"ok", or why the database would refuse a write. Cheap and lock-free,
    so a load balancer may poll it: on SQLite, a read-only file, a full disk
    under it, or ``max_page_count`` reached with no free page; on PostgreSQL,
    a read-only server (a standby, or default_transaction_read_only). A full
    disk under PostgreSQL cannot be seen from a client: writes then answer 507."""
    try:
        return _postgres_writes() if is_postgres() else _sqlite_writes()
    except pw.OperationalError as exc:
        return "not writable: disk full" if disk_full_cause(exc) else "not writable: error"


def _postgres_writes() -> str:
    standby, read_only = database.execute_sql(
        "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only')"
    ).fetchone()
    if standby:
        return "not writable: a read-only standby"
    if read_only == "on":
        return "not writable: read-only"
    return OK


def _sqlite_writes() -> str:
    def pragma(name: str) -> int:
        return database.execute_sql(f"PRAGMA {name}").fetchone()[0]

    if pragma("freelist_count") == 0 and pragma("page_count") >= pragma("max_page_count"):
        return "not writable: database full (max_page_count)"
    path = Path(sqlite_path(database.obj.janus_url) or database.obj.database)
    if path.exists() and not os.access(path, os.W_OK):
        return "not writable: read-only file"
    disk = os.statvfs(path.parent)
    if disk.f_bavail * disk.f_frsize < pragma("page_size"):
        return "not writable: disk full"
    return OK


def storage_writes(store: Store) -> str:
    """"ok" when a probe object can be written and deleted in the file store
    (a small file, or a PUT and a DELETE in a bucket), else why not (no
    paths, no bucket: this answer is public)."""
    try:
        store.probe()
    except InsufficientStorage:
        return "not writable: disk full" if store.kind == "local" else "not writable: store full"
    except StoreRefused:
        return "not writable: the store refused the write"
    except StoreUnreachable:
        return "not writable: the store cannot be reached"
    except OSError as exc:
        return f"not writable: {(exc.strerror or type(exc).__name__).lower()}"
    return OK


class StoreWrites:
    """``storage_writes(store)``, an "ok" kept for STORE_OK_SECONDS (one per
    app, so per worker). Threads that arrive while one probes wait for it and
    take its "ok" instead of probing again."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._ok_until = 0.0

    def __call__(self) -> str:
        if monotonic() < self._ok_until:
            return OK
        with self._lock:
            if monotonic() < self._ok_until:  # another thread just probed
                return OK
            verdict = storage_writes(self.store)
            if verdict == OK:
                self._ok_until = monotonic() + STORE_OK_SECONDS
            return verdict
