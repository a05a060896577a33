"""Database setup: one proxy the models bind to, initialised from a URL.

``sqlite:///path`` (the default) and ``postgresql://user@host/db`` are both
served by peewee's connection pools, so a gunicorn thread reuses a connection
instead of paying ~0.3 ms (SQLite pragmas) or ~8 ms (PostgreSQL handshake)
per request.
"""
from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import msgspec
import peewee as pw
import psycopg2.extensions
from playhouse.db_url import connect, register_database
from playhouse.pool import PooledPostgresqlDatabase

from janus.in_use import APPLICATION_NAME


class DatabaseProxy(pw.DatabaseProxy):
    """peewee's proxy with the calls every request makes through it (the
    ORM's execute, the compiled reads' execute_sql, the connection plugin's
    connect/is_closed/close) defined on it: through Proxy.__getattr__ each
    first missed the ordinary lookup, an AttributeError built and dropped."""

    def execute(self, *args, **kwargs):
        return self.obj.execute(*args, **kwargs)

    def execute_sql(self, *args, **kwargs):
        return self.obj.execute_sql(*args, **kwargs)

    def connect(self, *args, **kwargs):
        return self.obj.connect(*args, **kwargs)

    def is_closed(self):
        return self.obj.is_closed()

    def close(self):
        return self.obj.close()


database = DatabaseProxy()

# WAL lets readers run beside the single writer; busy_timeout makes a writer
# wait for the lock instead of failing at once; foreign keys are off in SQLite
# unless asked for.
SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("busy_timeout", 5000),
    ("synchronous", "normal"),
)

_SCHEMES = {
    "sqlite": "sqlite+pool",
    "postgres": "postgresql+pool",
    "postgresql": "postgresql+pool",
}


MASK_64 = (1 << 64) - 1


def hamming_sql(a: int | None, b: int | None) -> int | None:
    """``janus_hamming(a, b)``, registered on every SQLite connection: the
    Hamming distance of two 64-bit perceptual hashes stored as signed BIGINTs
    (janus.similarity computes it with ``bit_count`` on PostgreSQL)."""
    if a is None or b is None:
        return None
    return ((a ^ b) & MASK_64).bit_count()


def lower_sql(text: str | None) -> str | None:
    """``janus_lower(text)``, registered on every SQLite connection: Python's
    lower(), which folds every script (SQLite's folds ASCII only); a short
    ``?q=`` scans through it (janus.lists.search)."""
    return None if text is None else text.lower()


# peewee's PostgreSQL pool sends "SELECT 1" (a round trip, ~0.1 ms of CPU)
# before it hands out any connection, to catch one the server dropped; with
# a connection checked out per request, that doubled the round trips of a
# one-query read. A connection back in the pool for less than this, idle and
# not closed, is handed out unchecked: one the server dropped meanwhile
# fails that request (503), and the pool then discards it.
PING_AFTER_IDLE_SECONDS = 1.0


class PostgresPool(PooledPostgresqlDatabase):
    """peewee's pooled PostgreSQL database, without the liveness round trip
    for a connection that was in use moments ago (``PING_AFTER_IDLE_SECONDS``)."""

    def __init__(self, *args, **kwargs):
        self._returned_at: dict[int, float] = {}  # id(conn) -> when it was checked in
        super().__init__(*args, **kwargs)

    def _can_reuse(self, conn) -> bool:
        reusable = super()._can_reuse(conn)
        if reusable:
            self._returned_at[id(conn)] = time.monotonic()
        return reusable

    def _is_closed(self, conn) -> bool:
        returned = self._returned_at.pop(id(conn), None)
        if (returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS
                and not conn.closed
                and self._adapter.txn_status(conn) == self._adapter.txn_idle):
            return False
        return super()._is_closed(conn)


_decode_json = msgspec.json.Decoder().decode


def read_jsonb(text: str | None, _cursor=None):
    """jsonb as psycopg2 hands it over, text: msgspec reads it ~4x faster
    than json.loads, to the same values; json.loads stays the fallback for
    what msgspec refuses (a number beyond a double, such as 1e400). It is
    psycopg2's typecaster itself (``text, cursor``): a list page calls it
    once per row, and register_default_jsonb's wrapper was a call more."""
    if text is None:
        return None
    try:
        return _decode_json(text)
    except msgspec.MsgspecError:
        return json.loads(text)


def register_jsonb() -> None:
    """Every jsonb column and jsonb[] through ``read_jsonb`` (OIDs 3802, 3807)."""
    jsonb = psycopg2.extensions.new_type((3802,), "JSONB", read_jsonb)
    psycopg2.extensions.register_type(jsonb)
    psycopg2.extensions.register_type(
        psycopg2.extensions.new_array_type((3807,), "JSONBARRAY", jsonb))


_PSYCOPG2_TIMESTAMP = psycopg2.extensions.PYDATETIME
_from_iso = datetime.fromisoformat


def read_timestamp(text: str | None, cursor):
    """``timestamp`` (without time zone: every time column) as psycopg2
    hands it over, text such as ``2026-11-06 04:00:00.5``: fromisoformat
    makes the same naive datetime at a sixth of the cost of psycopg2's own
    caster (a list page reads two per row). What it refuses (``infinity``,
    a BC date, another DateStyle) goes to psycopg2's, as before."""
    if text is None:
        return None
    try:
        return _from_iso(text)
    except ValueError:
        return _PSYCOPG2_TIMESTAMP(text, cursor)


def register_timestamp() -> None:
    """Every ``timestamp`` column (OID 1114) through ``read_timestamp``."""
    psycopg2.extensions.register_type(
        psycopg2.extensions.new_type((1114,), "JANUS_TIMESTAMP", read_timestamp))


# A scheme of Janus's own, so that playhouse's "postgresql+pool" stays peewee's.
register_database(PostgresPool, "janus+postgresql+pool")


class DatabaseURLError(ValueError):
    """DATABASE_URL names a database Janus cannot use."""


def shown_url(url: str) -> str:
    """The URL with any password replaced, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{user.split(':', 1)[0]}:***@{host}"))


def sqlite_path(url: str) -> str | None:
    """The file a sqlite:// URL points at, or None for other schemes."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        return None
    return parts.path[1:] if parts.path.startswith("/") else parts.path


def make_database(url: str, pool_size: int = 8) -> pw.Database:
    """Build (without connecting) the pooled database a URL names."""
    scheme = urlsplit(url).scheme
    if scheme not in _SCHEMES:
        raise DatabaseURLError(
            f"unsupported DATABASE_URL scheme {scheme!r}: use sqlite:/// or postgresql://"
        )
    if scheme == "sqlite":
        path = sqlite_path(url)
        if not path or path == ":memory:":
            raise DatabaseURLError("SQLite needs a file path, e.g. sqlite:////abs/path.db")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        pooled = url.replace("sqlite://", "sqlite+pool://", 1)
        # No stale timeout: an idle SQLite connection costs nothing. The pool
        # hands a connection to whichever gunicorn thread asks next (one at a
        # time), so sqlite3's same-thread check must be off.
        # lock_type: every transaction (they are all writes) takes the write
        # lock at BEGIN. A deferred BEGIN that reads first fails at once with
        # "database is locked" when it later upgrades while another
        # connection writes, whatever busy_timeout says.
        db = connect(pooled, pragmas=SQLITE_PRAGMAS, max_connections=pool_size * 4,
                     timeout=10, check_same_thread=False, lock_type="IMMEDIATE")
        # SQLite lacks XOR and popcount: near-duplicate search calls this.
        db.register_function(hamming_sql, "janus_hamming", 2, deterministic=True)
        db.register_function(lower_sql, "janus_lower", 1, deterministic=True)
        return db
    pooled = "janus+postgresql+pool://" + url.split("://", 1)[1]
    # Every jsonb column (the list pages read one per row) through read_jsonb,
    # every timestamp through read_timestamp.
    register_jsonb()
    register_timestamp()
    # connect_timeout: a host that drops packets fails in seconds, not minutes.
    # application_name: how a restore sees that a service uses the database
    # (janus.in_use); it overrides one given in the URL.
    return connect(pooled, max_connections=pool_size, stale_timeout=300, timeout=10,
                   connect_timeout=5, application_name=APPLICATION_NAME)


def init_database(url: str, pool_size: int = 8) -> pw.Database:
    """Point the shared proxy at the database ``url`` names and return it.

    Idempotent: asking again for the database already in place keeps its pool.
    """
    current = database.obj
    if current is not None and getattr(current, "janus_url", None) == url:
        return current
    if current is not None and not current.is_closed():
        current.close()
    if current is not None and hasattr(current, "close_all"):
        current.close_all()
    db = make_database(url, pool_size)
    db.janus_url = url
    database.initialize(db)
    return db


def is_postgres(db: pw.Database | None = None) -> bool:
    db = db or database.obj
    return isinstance(db, pw.PostgresqlDatabase)


def locked(query: pw.Select, of=None) -> pw.Select:
    """``query`` taking row locks, for a read a write depends on (see
    docs/architecture.md, "Write transactions"): ``FOR NO KEY UPDATE`` on PostgreSQL, which
    unlike ``FOR UPDATE`` does not conflict with the ``FOR KEY SHARE`` locks
    that foreign-key checks take, so inserting a row that references a locked
    user never waits. SQLite needs nothing: every transaction begins
    IMMEDIATE, holding the one write lock from its first statement."""
    return query.for_update("FOR NO KEY UPDATE", of=of) if is_postgres() else query


# SQLSTATEs after which the whole transaction can simply run again:
# serialization_failure and deadlock_detected (PostgreSQL rolled it back).
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def is_retryable(exc: BaseException) -> bool:
    """A PostgreSQL serialization failure or deadlock, as peewee raises it
    (the driver's error is on ``exc.orig`` / ``__cause__``)."""
    for error in (exc, getattr(exc, "orig", None), exc.__cause__):
        if getattr(error, "pgcode", None) in RETRYABLE_SQLSTATES:
            return True
    return False
