"""The million-row targets, in-process through the WSGI app (B3, B4, B5, S1, C1).

Per backend, ONE temporary database (SQLite file in the temp directory;
PostgreSQL ``janus_bench_<random>``, dropped at the end) is migrated and
filled by ``janus.seeds.generate`` -- what ``python -m janus.seeds --generate``
runs: 1,000 users, then 1,000,000 logs (timed: B4), 1,000,000 images (random
perceptual hashes) and 200,000 security events (``--quick``: a tenth), then
``ANALYZE``. One bench user is made a superadmin with a bearer token.

- B4: before the logs go in, a raw driver ``executemany`` (sqlite3 /
  psycopg2, as bench/generate.py's ``raw_insert``) writes a sample of rows
  made by the same ``janus.seeds.synthetic.logs`` into the same (then empty)
  ``logs`` table, in the same batches, in rounds, emptied after each; its
  median rate is the baseline of the rate of the one timed ``--generate``.
- B3: following ``next_cursor`` of ``GET /logs?limit=50`` (as the admin: every
  row visible) to page 1,000; then page 1,000 (with its cursor) against page 1.
- B5: ``GET /analytics/summary?days=30`` as the admin against the same four
  aggregations written by hand (bench/summary_sql.py), run on the same pooled
  database; their totals are checked against the route's answer first.
- E1: ``GET /logs/export`` of every log, the process's RSS sampled
  (bench/bigdata_export.py).
- S1: ``GET /images/<id>/similar`` (defaults: max_distance=10, limit=20) as
  the admin against ``SELECT COUNT(*) FROM images WHERE phash IS NOT NULL``.
- C1: ``GET /logs?limit=50&count=true`` against the same page without the
  count, over every log and over one user's (bench/bigdata_counts.py).
- Q1: ``GET /logs?q=`` against a plain scan (bench/bigdata_search.py; a
  common term and a short one in the notes).

Times are wall-clock (a PostgreSQL query's time is spent in the server
process), one call at a time, in rounds (bench/timing.py).
"""
from __future__ import annotations

import contextlib
import random
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from bench import (
    bigdata_counts,
    bigdata_export,
    bigdata_search,
    dataset,
    inprocess,
    summary_sql,
    timing,
)
from bench.generate import _empty_logs, raw_insert
from janus.db import database
from janus.models import Admin, User, utcnow
from janus.repos.base import naive_utc
from janus.seeds import generate, synthetic
from janus.services.auth import issue_token

SCALES = {
    "default": {"users": 1000, "logs": 1_000_000, "images": 1_000_000, "security": 200_000,
                "raw_rows": {"sqlite": 200_000, "postgresql": 20_000}},
    "quick": {"users": 1000, "logs": 100_000, "images": 100_000, "security": 20_000,
              "raw_rows": {"sqlite": 20_000, "postgresql": 4_000}},
}
PAGE = 1000  # B3: the page followed to
LIMIT = 50
RAW_ROUNDS = 3


def _say(text: str, end: str = "\n") -> None:
    print(text, end=end, file=sys.stderr, flush=True)


def _raw_baseline(url: str, db, rows: int) -> list[float]:
    """Rows/s of a raw executemany of ``rows`` synthetic logs, per round."""
    rng = random.Random(42)
    user_ids = [uid for (uid,) in db.execute_sql("SELECT id FROM users").fetchall()]
    made = [row for chunk in synthetic.logs(rng, utcnow(), synthetic.Picker(rng, user_ids),
                                            50_000, rows, generate.BATCH_ROWS) for row in chunk]
    rates = []
    for _ in range(RAW_ROUNDS):
        db.close()
        rates.append(rows / raw_insert(url, made, generate.BATCH_ROWS))
        db.connect(reuse_if_open=True)
        _empty_logs(db)
    return rates


def _admin_token() -> str:
    admin = dataset.register_users(1)[0]
    Admin.create(user=admin, admin_level="superadmin")
    User.update(role="admin").where(User.id == admin.id).execute()
    return issue_token(admin, 24 * 3600).plain


def fill(url: str, backend: str, scale: dict) -> dict:
    """Migrate and fill ``url``; returns the B4 figures and the admin's token."""
    db = dataset.migrate(url)
    db.connect(reuse_if_open=True)
    try:
        generate.generate(url, {"users": scale["users"]}, seed=1)
        raw_rows = scale["raw_rows"][backend]
        _say(f"  big data, {backend}: raw executemany of {raw_rows:,} logs x {RAW_ROUNDS}")
        raw = _raw_baseline(url, db, raw_rows)
        db.close()
        _say(f"  big data, {backend}: --generate logs={scale['logs']:,}")
        logs = generate.generate(url, {"logs": scale["logs"]}, seed=2)
        _say(f"  big data, {backend}: --generate images={scale['images']:,},"
             f"security={scale['security']:,}")
        began = time.perf_counter()
        generate.generate(url, {"images": scale["images"], "security": scale["security"]},
                          seed=3)
        rest_s = time.perf_counter() - began
        db.connect(reuse_if_open=True)
        # The state autovacuum (PostgreSQL 13+ also vacuums after many inserts)
        # or optimize leaves a bulk-loaded table in: statistics, and on
        # PostgreSQL the visibility map that lets a count read an index alone.
        db.execute_sql("VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE")
        token = _admin_token()
    finally:
        db.close()
        db.close_all()
    return {"token": token, "generate": {
        "rows": scale["logs"], "seconds": logs.seconds,
        "rows_per_s": scale["logs"] / logs.seconds, "raw_rows": raw_rows,
        "raw_rows_per_s": raw, "images_security_seconds": rest_s}}


def _follow(app, token: str, pages: int) -> tuple[str, float]:
    """The cursor of page ``pages`` of GET /logs?limit=LIMIT, and seconds taken."""
    began = time.perf_counter()
    page = inprocess.get_json(app, f"/logs?limit={LIMIT}", token)
    for _ in range(pages - 1):
        page = inprocess.get_json(app, f"/logs?limit={LIMIT}&cursor={quote(page['next_cursor'])}",
                                  token)
    cursor = page["next_cursor"]  # shown by page `pages`, i.e. the start of the next one
    return cursor, time.perf_counter() - began


def _probe() -> int:
    with database.connection_context():
        (image_id,), = database.execute_sql(
            "SELECT id FROM images WHERE phash IS NOT NULL ORDER BY id LIMIT 1").fetchall()
    return image_id


def _count_hashes():
    with database.connection_context():
        return database.execute_sql(
            "SELECT COUNT(*) FROM images WHERE phash IS NOT NULL").fetchone()


def measure_backend(url: str, backend: str, tmp: Path, scale: dict, rounds: int,
                    min_seconds: float) -> dict:
    filled = fill(url, backend, scale)
    token = filled["token"]
    app = inprocess.app_for(url, tmp, f"bigdata-{backend}.log")
    try:
        cursor, follow_s = _follow(app, token, PAGE - 1)  # the cursor that opens page PAGE
        page_1000 = f"/logs?limit={LIMIT}&cursor={quote(cursor)}"
        assert len(inprocess.get_json(app, page_1000, token)["items"]) == LIMIT
        summary = inprocess.get_json(app, "/analytics/summary?days=30", token)
        since = datetime.fromisoformat(summary["since"].replace("Z", "+00:00"))
        checks = summary_sql.check(summary, summary_sql.run(30, naive_utc(since)))
        probe = f"/images/{_probe()}/similar"
        similar = inprocess.get_json(app, probe, token)
        counted_user = bigdata_counts.busiest_user()
        totals = bigdata_counts.check(app, token, counted_user, scale["logs"])
        search_checks = bigdata_search.check(app, token)
        ops = {
            "page_1": lambda: inprocess.call(app, "GET", f"/logs?limit={LIMIT}", token),
            "page_1000": lambda: inprocess.call(app, "GET", page_1000, token),
            "summary_sql": lambda: summary_sql.run(30),
            "summary": lambda: inprocess.call(app, "GET", "/analytics/summary?days=30", token),
            "count": _count_hashes,
            "similar": lambda: inprocess.call(app, "GET", probe, token),
            **bigdata_counts.ops(app, token, counted_user),
            **bigdata_search.ops(app, token),
        }
        _say(f"  big data, {backend}: {rounds} rounds ", end="")
        figures = timing.measure(ops, rounds, min_seconds, lambda: _say(".", end=""))
        _say("")
        _say(f"  big data, {backend}: exporting every log (E1)")
        exports = bigdata_export.measure(app, token)
    finally:
        with contextlib.suppress(Exception):
            database.close_all()
    return {"logs": scale["logs"], "images": scale["images"], "security": scale["security"],
            "users": scale["users"] + 1, "generate": filled["generate"],
            "follow_seconds": follow_s, "pages": PAGE, "summary_checks": checks,
            "search_checks": search_checks,
            "similar_returned": len(similar["items"]), "counted": totals,
            "ops": figures, "exports": exports}


def measure(backends: list[str], tmp: Path, scale: dict, rounds: int,
            min_seconds: float) -> tuple[dict, dict]:
    """({backend: figures}, {backend: why it was skipped})."""
    results, skipped = {}, {}
    for backend in backends:
        try:
            place = (dataset.sqlite_url(tmp, "janus-bench-big.db") if backend == "sqlite"
                     else dataset.postgres_url())
            with place as url:
                results[backend] = measure_backend(url, backend, tmp, scale, rounds,
                                                   min_seconds)
        except dataset.Unavailable as exc:
            skipped[backend] = str(exc)
            _say(f"  big data, {backend}: {exc} -- skipped")
    return results, skipped


def notes(results: dict) -> list[str]:
    lines = []
    for backend, r in results.items():
        g = r["generate"]
        lines.append(f"big data {backend}: --generate logs={g['rows']:,} took {g['seconds']:.1f} s "
                     f"({g['rows_per_s']:,.0f} rows/s, one run, rows made in Python too); "
                     f"images+security {g['images_security_seconds']:.1f} s; raw executemany "
                     f"baseline on {g['raw_rows']:,} rows x {RAW_ROUNDS}; following the cursor "
                     f"to page {r['pages']:,} took {r['follow_seconds']:.1f} s")
        lines += bigdata_export.notes(backend, r.get("exports") or {})
        if r["summary_checks"]:
            lines.append(f"big data {backend}: hand-written summary SQL differs from the "
                         f"route: {'; '.join(r['summary_checks'])}")
        if r.get("search_checks"):
            lines.append(f"big data {backend}: {'; '.join(r['search_checks'])}")
        lines += [f"big data {backend}: {line}" for line in bigdata_search.notes(r["ops"])]
    return lines
