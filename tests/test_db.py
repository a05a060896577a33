"""janus.db's connections: PostgreSQL's pool skips peewee's liveness round
trip for a connection checked in moments ago, and still checks (and
discards) one that sat idle longer (SQLite's pool never had the round trip);
jsonb comes back through read_jsonb, to the values json.loads gives, and
timestamps through read_timestamp, to the values psycopg2's own caster gives."""
from __future__ import annotations

import json

import psycopg2
import pytest

from janus import db as janus_db
from janus.db import PostgresPool, make_database, read_jsonb


@pytest.fixture
def pool(database_url, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL only: its pool and its jsonb")
    pooled = make_database(database_url, pool_size=2)
    yield pooled
    if not pooled.is_closed():
        pooled.close()
    pooled.close_all()


@pytest.fixture
def pings(pool, monkeypatch):
    """How many liveness round trips the pool sends."""
    sent = []
    check = pool._adapter.is_connection_closed

    def counted(conn):
        sent.append(conn)
        return check(conn)
    monkeypatch.setattr(pool._adapter, "is_connection_closed", counted)
    return sent


def checkout(pool) -> int:
    """Take a connection, run a query on it, give it back; its backend pid."""
    pool.connect()
    try:
        return pool.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    finally:
        pool.close()


def test_the_pool_is_janus_own(pool):
    assert isinstance(pool, PostgresPool)


def test_a_connection_back_moments_ago_is_reused_without_a_round_trip(pool, pings):
    first = checkout(pool)
    assert [checkout(pool) for _ in range(5)] == [first] * 5
    assert pings == []


def test_an_idle_connection_is_checked_first(pool, pings, monkeypatch):
    first = checkout(pool)
    monkeypatch.setattr(janus_db, "PING_AFTER_IDLE_SECONDS", 0)
    assert checkout(pool) == first
    assert len(pings) == 1


def test_a_connection_the_server_dropped_while_idle_is_replaced(pool, pings, monkeypatch,
                                                                database_url):
    dropped = checkout(pool)
    admin = psycopg2.connect(database_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (dropped,))
    admin.close()
    monkeypatch.setattr(janus_db, "PING_AFTER_IDLE_SECONDS", 0)
    assert checkout(pool) != dropped  # discarded after its ping failed; a new one serves
    assert len(pings) == 1


JSON_TEXTS = ['{"a": [1, 2.5, null, true], "b": {"c": "\\u00e9"}}', "1e400", "-0.0",
              "123456789012345678901234567890", '"\\ud800"', "[]"]


@pytest.mark.parametrize("text", JSON_TEXTS)
def test_read_jsonb_reads_what_json_loads_reads(text):
    assert repr(read_jsonb(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ['{"n": 1e400, "s": "\\u00e9", "l": [1, 2.5]}', "[]"])
def test_jsonb_columns_read_as_json_loads_reads_their_text(pool, text):
    pool.connect()
    try:
        value, as_text = pool.execute_sql("SELECT %s::jsonb, %s::jsonb::text",
                                          (text, text)).fetchone()
    finally:
        pool.close()
    assert value == json.loads(as_text)
    assert not isinstance(value, str)


def test_null_jsonb_and_jsonb_arrays_read_too(pool):
    # read_jsonb is psycopg2's typecaster itself: it sees NULL, and each element of a jsonb[]
    pool.connect()
    try:
        empty, items = pool.execute_sql(
            """SELECT NULL::jsonb, ARRAY['{"a": 1}'::jsonb, 'null'::jsonb, NULL]""").fetchone()
    finally:
        pool.close()
    assert empty is None
    assert items == [{"a": 1}, None, None]


TIMESTAMPS = ["2026-11-06 04:00:00.123456", "2026-11-06 04:00:00", "2026-11-06 04:00:00.5",
              "0044-03-15 00:00:00", "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999",
              "infinity", "-infinity", "0044-03-15 00:00:00 BC", "10000-01-01 00:00:00"]


def _as_psycopg2_reads(text: str):
    try:
        return repr(psycopg2.extensions.PYDATETIME(text, None))
    except ValueError as exc:
        return f"ValueError: {exc}"


@pytest.mark.parametrize("stored", TIMESTAMPS)
def test_timestamps_read_as_psycopg2_reads_their_text(pool, stored):
    # read_timestamp's fast path (fromisoformat) and its fallback (psycopg2's
    # caster: infinity, BC, a year beyond 9999) give psycopg2's values and errors.
    pool.connect()
    try:
        (as_text,) = pool.execute_sql("SELECT %s::timestamp::text", (stored,)).fetchone()
        try:
            (value,) = pool.execute_sql("SELECT %s::timestamp", (stored,)).fetchone()
            got = repr(value)
        except ValueError as exc:
            got = f"ValueError: {exc}"
    finally:
        pool.close()
    assert got == _as_psycopg2_reads(as_text)
    assert "ValueError" in got or value.tzinfo is None
