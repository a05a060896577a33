"""Connection reuse, measured in-process (no HTTP).

One operation is what the API plugin does around every request:
``connect(reuse_if_open=True)`` + ``SELECT 1`` + ``close()``. With a plain
peewee database that opens and closes a real connection (SQLite: plus the
pragmas of janus.db.SQLITE_PRAGMAS; PostgreSQL: a TCP handshake and a backend
process); with ``janus.db.make_database`` it borrows a pooled connection and
hands it back.
"""
from __future__ import annotations

import statistics
import time

from playhouse.db_url import connect

from janus.db import SQLITE_PRAGMAS, make_database, sqlite_path


def unpooled(url: str):
    """A non-pooled peewee database for ``url``, configured like Janus's
    (``janus_url`` too: GET /health reads the SQLite path from it)."""
    if sqlite_path(url) is not None:
        db = connect(url, pragmas=SQLITE_PRAGMAS)
    else:
        db = connect("postgresql://" + url.split("://", 1)[1])
    db.janus_url = url
    return db


def _op(db) -> None:
    db.connect(reuse_if_open=True)
    db.execute_sql("SELECT 1").fetchone()
    db.close()


def _per_op_us(db, iterations: int) -> float:
    _op(db)  # warm: the pool's first connection, imports, caches
    began = time.perf_counter()
    for _ in range(iterations):
        _op(db)
    return (time.perf_counter() - began) / iterations * 1e6


def _summary(samples: list[float]) -> dict:
    return {"best_us": min(samples), "median_us": statistics.median(samples),
            "max_us": max(samples), "rounds_us": samples}


def measure(url: str, iterations: int, rounds: int) -> dict:
    """Per-operation microseconds, non-pooled vs pooled, alternating rounds;
    the ratio compares the best (fastest) rounds."""
    plain, pooled = unpooled(url), make_database(url)
    plain_us, pooled_us = [], []
    try:
        for _ in range(rounds):
            plain_us.append(_per_op_us(plain, iterations))
            pooled_us.append(_per_op_us(pooled, iterations))
    finally:
        if not plain.is_closed():
            plain.close()
        pooled.close_all()
    result = {"iterations": iterations, "rounds": rounds,
              "unpooled": _summary(plain_us), "pooled": _summary(pooled_us)}
    result["ratio"] = result["unpooled"]["best_us"] / result["pooled"]["best_us"]
    return result
