"""``python -m bench.generate``: the bulk insert of ``python -m janus.seeds
--generate`` against a raw ``executemany`` of the same rows.

What each figure measures: docs/benchmarks.md, "Bulk insert".
"""
from __future__ import annotations

import argparse
import contextlib
import os
import random
import shlex
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import msgspec
import psycopg2

from bench import dataset
from bench.machine import machine
from janus.db import SQLITE_PRAGMAS, is_postgres, sqlite_path
from janus.models import Log, utcnow
from janus.seeds import generate, synthetic
from janus.seeds.writer import Writer, search_fill

BACKENDS = ("sqlite", "postgresql")
SQLITE_VARIABLES = 32766


def _empty_logs(db) -> None:
    if is_postgres(db):
        db.execute_sql('TRUNCATE "logs" RESTART IDENTITY')
    else:
        db.execute_sql('DELETE FROM "logs"')


def _chunks(rows, size):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _raw_connection(url: str):
    path = sqlite_path(url)
    if path is not None:
        conn = sqlite3.connect(path, isolation_level=None)  # explicit BEGIN/COMMIT below
        for name, value in SQLITE_PRAGMAS:
            conn.execute(f"PRAGMA {name} = {value}")
        conn.execute(f"PRAGMA cache_size = -{generate.SQLITE_CACHE_KIB}")  # as --generate
        return conn
    return psycopg2.connect(url)


def raw_insert(url: str, rows: list[tuple], batch: int) -> float:
    columns = synthetic.COLUMNS["logs"]
    names = ", ".join(f'"{c}"' for c in columns)
    conn = _raw_connection(url)
    try:
        sqlite = isinstance(conn, sqlite3.Connection)
        marks = ", ".join(("?" if sqlite else "%s") for _ in columns)
        sql = f'INSERT INTO "logs" ({names}) VALUES ({marks})'
        # As --generate: a searched table's FTS5 index filled per batch in one
        # statement, not by its per-row trigger (janus.seeds.writer).
        fill = search_fill(conn.cursor(), "logs") if sqlite else None
        began = time.perf_counter()
        for chunk in _chunks(rows, batch):
            if sqlite:
                conn.execute("BEGIN")
                if fill is None:
                    conn.executemany(sql, chunk)
                else:
                    cursor = conn.cursor()
                    fill.write(cursor, lambda chunk=chunk, cursor=cursor:
                               cursor.executemany(sql, chunk))
                conn.execute("COMMIT")
            else:
                with conn.cursor() as cur:
                    cur.executemany(sql, chunk)
                conn.commit()
        return time.perf_counter() - began
    finally:
        conn.close()


def _as_generate_does(db) -> None:
    db.connect(reuse_if_open=True)
    if not is_postgres(db):  # the page cache --generate gives its own connection
        db.execute_sql(f"PRAGMA cache_size = -{generate.SQLITE_CACHE_KIB}")


def janus_insert(db, rows: list[tuple], batch: int) -> float:
    _as_generate_does(db)
    writer = Writer(db, "logs", synthetic.COLUMNS["logs"])
    began = time.perf_counter()
    for chunk in _chunks(rows, batch):
        with db.atomic():
            writer.write(chunk)
    return time.perf_counter() - began


def peewee_insert(db, rows: list[dict], batch: int) -> float:
    _as_generate_does(db)
    if not is_postgres(db):
        batch = min(batch, SQLITE_VARIABLES // len(synthetic.COLUMNS["logs"]))
    began = time.perf_counter()
    for chunk in _chunks(rows, batch):
        with db.atomic():
            Log.insert_many(chunk).execute()
    return time.perf_counter() - began


def end_to_end(url: str, count: int, batch: int) -> float:
    result = generate.generate(url, {"logs": count}, batch=batch, seed=7)
    return result.seconds


def _as_dicts(rows: list[tuple]) -> list[dict]:
    decode = msgspec.json.decode
    return [{"user": u, "action": a, "module": m, "level": lv, "timestamp": t,
             "log_metadata": decode(meta)} for u, a, m, lv, t, meta in rows]


@contextlib.contextmanager
def _database(backend: str, tmp: Path):
    with (dataset.sqlite_url(tmp) if backend == "sqlite" else dataset.postgres_url()) as url:
        db = dataset.migrate(url)
        db.connect(reuse_if_open=True)
        try:
            generate.generate(url, {"users": 1000}, seed=1)
            yield url, db
        finally:
            db.close()
            db.close_all()


def measure(backend: str, tmp: Path, count: int, batch: int, rounds: int) -> dict:
    with _database(backend, tmp) as (url, db):
        rng = random.Random(42)
        user_ids = [uid for (uid,) in db.execute_sql("SELECT id FROM users").fetchall()]
        picker = synthetic.Picker(rng, user_ids)
        rows = [row for chunk in synthetic.logs(rng, utcnow(), picker, 50_000, count, batch)
                for row in chunk]
        dict_rows = _as_dicts(rows)
        methods = {
            "raw": lambda: raw_insert(url, rows, batch),
            "janus": lambda: janus_insert(db, rows, batch),
            "peewee": lambda: peewee_insert(db, dict_rows, batch),
            "end_to_end": lambda: end_to_end(url, count, batch),
        }
        seconds = {name: [] for name in methods}
        for n in range(rounds):
            for name, run in methods.items():
                _empty_logs(db)
                db.close()  # raw and end-to-end use connections of their own
                seconds[name].append(run())
                db.connect(reuse_if_open=True)
                (added,), = db.execute_sql('SELECT COUNT(*) FROM "logs"').fetchall()
                assert added == count, (name, added, count)
            print(f"  {backend}: round {n + 1}/{rounds} done", file=sys.stderr)
        _empty_logs(db)
    return {name: min(values) for name, values in seconds.items()}


def measure_batches(backend: str, tmp: Path, count: int, sizes: list[int], rounds: int) -> dict:
    with _database(backend, tmp) as (url, db):
        rng = random.Random(42)
        user_ids = [uid for (uid,) in db.execute_sql("SELECT id FROM users").fetchall()]
        rows = [row for chunk in synthetic.logs(rng, utcnow(), synthetic.Picker(rng, user_ids),
                                                50_000, count, 10_000) for row in chunk]
        seconds = {size: [] for size in sizes}
        for _ in range(rounds):
            for size in sizes:
                _empty_logs(db)
                seconds[size].append(janus_insert(db, rows, size))
        _empty_logs(db)
    return {size: min(values) for size, values in seconds.items()}


LABELS = {"raw": "raw executemany (baseline)", "janus": "janus --generate writer",
          "peewee": "peewee insert_many", "end_to_end": "--generate end to end (rows made too)"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.generate",
                                description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=200_000, help="log rows per insert (200,000)")
    p.add_argument("--batch", type=int, default=generate.BATCH_ROWS,
                   help=f"rows per batch and transaction (default {generate.BATCH_ROWS})")
    p.add_argument("--rounds", type=int, default=3, help="rounds; the best is shown")
    p.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql")
    p.add_argument("--batches", metavar="N,N,...",
                   help="time the janus writer at these batch sizes instead")
    args = p.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(backends) - set(BACKENDS):
        p.error(f"unknown backend(s): {', '.join(sorted(set(backends) - set(BACKENDS)))}")
    command = " ".join(["python", "-m", "bench.generate",
                        *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    info = machine(dataset.postgres_version() if "postgresql" in backends else None)
    results, skipped = {}, {}
    try:
        with tempfile.TemporaryDirectory(prefix="janus-bench-generate-") as tmp:
            for backend in backends:
                try:
                    if args.batches:
                        sizes = [int(s) for s in args.batches.split(",") if s.strip()]
                        results[backend] = measure_batches(backend, Path(tmp), args.rows, sizes,
                                                           args.rounds)
                    else:
                        results[backend] = measure(backend, Path(tmp), args.rows, args.batch,
                                                   args.rounds)
                except dataset.Unavailable as exc:
                    skipped[backend] = str(exc)
    except KeyboardInterrupt:
        print("\ninterrupted: temporary databases removed", file=sys.stderr)
        return 130
    print(f"command:   {command}")
    end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine:   {info['nproc']} CPUs, load average "
          f"{' '.join(map(str, info['loadavg_at_start']))} at start, {end} at end; "
          f"{info['platform']}")
    print(f"versions:  python {info['python']}, sqlite {info['sqlite']}, "
          f"postgresql {info['postgresql'] or '-'}")
    print(f"data:      {args.rows:,} log rows into the migrated logs table (4 indexes), "
          f"emptied before each insert; best of {args.rounds} rounds")
    print()
    for backend, figures in results.items():
        if args.batches:
            print(f"{backend}: janus writer by batch size")
            for size, secs in figures.items():
                print(f"  batch {size:>7,}  {secs:7.2f} s  {args.rows / secs:>10,.0f} rows/s")
            continue
        raw = args.rows / figures["raw"]
        print(f"{backend}: batches of {args.batch:,} rows, one transaction each")
        for name, secs in figures.items():
            rate = args.rows / secs
            print(f"  {LABELS[name]:<40} {secs:7.2f} s  {rate:>10,.0f} rows/s  "
                  f"x raw {rate / raw:5.2f}")
    for backend, why in skipped.items():
        print(f"{backend}: skipped: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
