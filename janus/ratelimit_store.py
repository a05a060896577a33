"""The default rate-limit counters: a small SQLite file in the data directory
(``sqlite://`` in JANUS_RATE_LIMIT_STORAGE), which every gunicorn worker of
one host shares. It is a ``limits`` storage of its own scheme, so
``limits.storage.storage_from_string("sqlite:///path")`` builds one.

Not the main database: a flood of refused requests writes to this file only,
never to SQLite or PostgreSQL behind the API. Its writes are cheap because
nothing in it needs to survive a crash of the machine (WAL, synchronous=OFF):
losing the last seconds of counts at a power cut only lets a few requests
more through. Several hosts need one shared store: Redis.

Each hit is one short ``BEGIN IMMEDIATE`` transaction, so workers and threads
count one after another and a limit of 10 lets exactly 10 in.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import MovingWindowSupport, Storage

FILE_NAME = "ratelimits.sqlite"
# How long a worker waits for another one's hit to commit (they take microseconds).
BUSY_TIMEOUT_SECONDS = 2.0
# Rows of keys nobody hits any more are swept at most this often per process.
SWEEP_EVERY_SECONDS = 60.0

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, at REAL NOT NULL, "
    "expires REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS hits_key_at ON hits (key, at)",
    "CREATE INDEX IF NOT EXISTS hits_expires ON hits (expires)",
    "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, "
    "expires REAL NOT NULL)",
)


def path_of(uri: str, data_dir: Path) -> Path:
    """``sqlite://`` -> <data_dir>/ratelimits.sqlite; ``sqlite:///a/b`` -> /a/b."""
    rest = uri.partition("://")[2]
    return Path(rest) if rest else Path(data_dir) / FILE_NAME


class SQLiteStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str = "sqlite://", wrap_exceptions: bool = False,
                 data_dir: str | os.PathLike = ".", **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = path_of(uri, Path(data_dir))
        self._local = threading.local()
        self._next_sweep = 0.0

    @property
    def base_exceptions(self):
        return (sqlite3.Error, OSError)

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and per process: a connection opened
        # before gunicorn forks must never be used by the children.
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.conn, local.pid = self._open(), os.getpid()
        return local.conn

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Its keys are client addresses: readable by the service's user only
        # (SQLite gives the -wal and -shm files the same mode).
        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        # Connections opened at the same moment by the first requests of every
        # worker and thread raced on the switch to WAL ("disk I/O error",
        # "database is locked" without waiting), and a failed hit lets its
        # request through: so they open one at a time, under a file lock.
        lock = os.open(f"{self.path}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS,
                                   isolation_level=None, check_same_thread=False)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=OFF")
                for statement in _SCHEMA:
                    conn.execute(statement)
            except BaseException:
                conn.close()
                raise
        finally:
            os.close(lock)  # closing the descriptor releases the lock
        return conn

    def _transaction(self, work):
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn, time.time())
            conn.execute("COMMIT")
        except BaseException:
            # Also after a failed COMMIT: the connection must not stay inside
            # a transaction, or every later BEGIN on it fails.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    def _sweep(self, conn: sqlite3.Connection, now: float) -> None:
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY_SECONDS
            conn.execute("DELETE FROM hits WHERE expires <= ?", (now,))
            conn.execute("DELETE FROM counters WHERE expires <= ?", (now,))

    # The moving window (janus.ratelimit's strategy).
    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False

        def work(conn, now):
            self._sweep(conn, now)
            conn.execute("DELETE FROM hits WHERE key = ? AND at <= ?", (key, now - expiry))
            (count,) = conn.execute("SELECT count(*) FROM hits WHERE key = ?", (key,)).fetchone()
            if count + amount > limit:
                return False
            conn.executemany("INSERT INTO hits (key, at, expires) VALUES (?, ?, ?)",
                             [(key, now, now + expiry)] * amount)
            return True
        return self._transaction(work)

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        oldest, count = self._connection().execute(
            "SELECT min(at), count(*) FROM hits WHERE key = ? AND at > ?",
            (key, now - expiry)).fetchone()
        return (oldest if count else now), count

    # The fixed window, for completeness of the Storage interface.
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        def work(conn, now):
            conn.execute("DELETE FROM counters WHERE key = ? AND expires <= ?", (key, now))
            conn.execute("INSERT INTO counters (key, value, expires) VALUES (?, ?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
                         (key, amount, now + expiry))
            return conn.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()[0]
        return self._transaction(work)

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT value FROM counters WHERE key = ? AND expires > ?",
            (key, time.time())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connection().execute(
            "SELECT expires FROM counters WHERE key = ?", (key,)).fetchone()
        return row[0] if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except (sqlite3.Error, OSError):
            return False
        return True

    def reset(self) -> int | None:
        def work(conn, now):
            return (conn.execute("DELETE FROM hits").rowcount
                    + conn.execute("DELETE FROM counters").rowcount)
        return self._transaction(work)

    def clear(self, key: str) -> None:
        def work(conn, now):
            conn.execute("DELETE FROM hits WHERE key = ?", (key,))
            conn.execute("DELETE FROM counters WHERE key = ?", (key,))
        self._transaction(work)
