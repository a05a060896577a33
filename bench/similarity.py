"""Near-duplicate search at scale, in-process: janus.similarity.similar()
against a plain scan of the same rows, and against doing it in Python.

Per backend, a temporary database of its own (not the HTTP one) gets N image
records with random 64-bit perceptual hashes (signed BIGINTs, as
janus.imaging.phash_to_int makes them) over 20 owners, plus a probe and
planted near-duplicates of it at distances 0..8 (even distances owned by the
probe's owner, odd ones by others) and decoys at 11 and 12 bits, which a
search within 10 bits must not return. Then, for an admin (every row visible)
and for the probe's owner (their ~N/20 rows):

- scan (baseline): ``SELECT COUNT(*) FROM images WHERE phash IS NOT NULL``
  (plus ``AND owner_id = ?``): what just reading those rows costs;
- in SQL: ``similar(probe, visible, max_distance=10, limit=20)``, what
  GET /images/<id>/similar runs;
- in Python: load every visible (id, phash, created_at) row, compute the
  distances in Python, keep the nearest 20 and fetch those records -- the
  approach the distance-in-SQL design avoids.
"""
from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import dataset, timing
from bench.tables import num, table
from janus.models import Image
from janus.similarity import MASK, similar

N_OWNERS = 20
MAX_DISTANCE = 10
LIMIT = 20
PLANTED = tuple(range(9))  # distances of the planted near-duplicates
DECOYS = (11, 12)  # just beyond MAX_DISTANCE
SEED = 64
SCOPES = ("admin", "owner")
METHODS = {"scan": "COUNT(*) scan of the rows (baseline)",
           "sql": "similar(): distance in SQL",
           "python": "rows into Python, distance there"}


def _near(rng: random.Random, value: int, bits: int) -> int:
    for position in rng.sample(range(64), bits):
        value ^= 1 << position
    return dataset.signed(value & MASK)


def _plant(rng: random.Random, n_rows: int) -> tuple[list[int], int, dict, dict]:
    """(phash per row, probe row, {distance: row}, {distance: row}) -- rows by
    index; row n belongs to owner n % N_OWNERS, the probe to owner 0."""
    phashes = dataset.random_phashes(n_rows, SEED)
    taken: set[int] = set()

    def row_of(owner: int) -> int:
        while True:
            n = rng.randrange(owner, n_rows, N_OWNERS)
            if n not in taken:
                taken.add(n)
                return n

    probe = row_of(0)
    planted = {d: row_of(0 if d % 2 == 0 else 1 + d % (N_OWNERS - 1)) for d in PLANTED}
    decoys = {d: row_of(0) for d in DECOYS}
    for d, n in (planted | decoys).items():
        phashes[n] = _near(rng, phashes[probe] & MASK, d)
    return phashes, probe, planted, decoys


def fill(url: str, n_rows: int):
    """Migrate and fill ``url``; returns (db, owner ids, probe, planted, decoys),
    the last three as Image ids."""
    db = dataset.migrate(url)
    db.connect(reuse_if_open=True)
    owner_ids = [user.id for user in dataset.register_users(N_OWNERS)]
    phashes, probe, planted, decoys = _plant(random.Random(SEED), n_rows)
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=90)
    dataset.insert(db, Image, dataset.image_rows(owner_ids, n_rows, start, phashes), 500)
    db.execute_sql("ANALYZE")  # fresh statistics, as autovacuum/optimize would leave them
    rows = {n: row for n, row in enumerate(Image.select(Image.id).order_by(Image.id))}
    ids = {d: rows[n].id for d, n in planted.items()}
    return db, owner_ids, Image.get_by_id(rows[probe].id), ids, \
        {d: rows[n].id for d, n in decoys.items()}


def in_python(image: Image, query, max_distance: int, limit: int):
    """What similar() answers, with the distances computed in Python."""
    h = image.phash & MASK
    rows = query.select(Image.id, Image.phash, Image.created_at).where(
        Image.phash.is_null(False), Image.id != image.id).tuples()
    near = [(d, created, id_) for id_, phash, created in rows
            if (d := ((phash & MASK) ^ h).bit_count()) <= max_distance]
    near.sort(key=lambda r: r[2], reverse=True)  # stable sorts: ties newest, then highest id
    near.sort(key=lambda r: r[1], reverse=True)
    near.sort(key=lambda r: r[0])
    top = near[:limit]
    records = {r.id: r for r in Image.select().where(Image.id.in_([i for _, _, i in top]))}
    return [(records[i], d) for d, _, i in top]


def _scan(db, owner: int | None):
    sql = "SELECT COUNT(*) FROM images WHERE phash IS NOT NULL"
    params = ()
    if owner is not None:
        sql, params = sql + f" AND owner_id = {db.param}", (owner,)
    return lambda: db.execute_sql(sql, params).fetchone()


def _check(found: list, planted: dict, decoys: dict) -> dict:
    ids = {image.id for image, _ in found}
    return {"returned": len(found), "planted": len(planted),
            "found": sum(i in ids for i in planted.values()),
            "decoys_returned": sum(i in ids for i in decoys.values()),
            "distances": {d: next((dist for im, dist in found if im.id == i), None)
                          for d, i in planted.items()}}


def measure_backend(url: str, n_rows: int, rounds: int, min_seconds: float) -> dict:
    db, owner_ids, probe, planted, decoys = fill(url, n_rows)
    try:
        queries = {"admin": Image.select(), "owner": Image.select().where(
            Image.owner == owner_ids[0])}
        visible = {scope: q.where(Image.phash.is_null(False)).count()
                   for scope, q in queries.items()}
        ops, checks = {}, {}
        for scope, query in queries.items():
            mine = {d: i for d, i in planted.items() if scope == "admin" or d % 2 == 0}
            sql = similar(probe, query, MAX_DISTANCE, LIMIT)
            python = in_python(probe, query, MAX_DISTANCE, LIMIT)
            checks[scope] = {"sql": _check(sql, mine, decoys),
                             "python": _check(python, mine, decoys),
                             "python_equals_sql": [(i.id, d) for i, d in python]
                             == [(i.id, d) for i, d in sql]}
            ops[f"{scope}:scan"] = _scan(db, None if scope == "admin" else owner_ids[0])
            ops[f"{scope}:sql"] = lambda q=query: similar(probe, q, MAX_DISTANCE, LIMIT)
            ops[f"{scope}:python"] = lambda q=query: in_python(probe, q, MAX_DISTANCE, LIMIT)
        figures = timing.measure(ops, rounds, min_seconds,
                                 lambda: print(".", end="", file=sys.stderr, flush=True))
    finally:
        db.close()
        db.close_all()
    return {"rows": n_rows, "owners": N_OWNERS, "visible": visible, "checks": checks,
            "ops": figures}


def measure(backends: list[str], tmp: Path, n_rows: int, rounds: int,
            min_seconds: float) -> tuple[dict, dict]:
    """({backend: figures}, {backend: why it was skipped})."""
    results, skipped = {}, {}
    for backend in backends:
        try:
            place = (dataset.sqlite_url(tmp, "janus-bench-similar.db") if backend == "sqlite"
                     else dataset.postgres_url())
            with place as url:
                print(f"  similarity, {backend}: {n_rows:,} images; {rounds} rounds ",
                      end="", file=sys.stderr, flush=True)
                results[backend] = measure_backend(url, n_rows, rounds, min_seconds)
                print(file=sys.stderr)
        except dataset.Unavailable as exc:
            skipped[backend] = str(exc)
            print(f"  similarity, {backend}: {exc} -- skipped", file=sys.stderr)
    return results, skipped


def print_table(results: dict) -> None:
    cols = ("backend", "visible rows", "method", "ms/query", "spread", "x scan",
            "us/row over scan", "planted found")
    rows, python_vs_sql = [], []
    for backend, r in results.items():
        for scope in SCOPES:
            n = r["visible"][scope]
            scan = r["ops"][f"{scope}:scan"]["best_ms"]
            for method, label in METHODS.items():
                f = r["ops"][f"{scope}:{method}"]
                found = over = "-"
                if method != "scan":
                    c = r["checks"][scope][method]
                    found = f"{c['found']}/{c['planted']}" + (
                        f" +{c['decoys_returned']} decoys" if c["decoys_returned"] else "")
                if method != "scan" and scope == "admin":  # owner: fixed costs dominate
                    over = num((f["best_ms"] - scan) * 1000 / max(n, 1), 2)
                who = f"{n:,} ({'admin' if scope == 'admin' else 'one owner'})"
                rows.append((backend if scope == "admin" and method == "scan" else "",
                             who if method == "scan" else "", label, num(f["best_ms"], 2),
                             f"{f['spread'] * 100:.0f}%", num(f["best_ms"] / scan, 2),
                             over, found))
            ratio = r["ops"][f"{scope}:python"]["best_ms"] / r["ops"][f"{scope}:sql"]["best_ms"]
            python_vs_sql.append(f"{backend} {scope} {ratio:.2f}x")
    table(cols, rows, right_from=3)
    print("in Python / in SQL (ms per query; above 1 = SQL is faster): "
          + ", ".join(python_vs_sql))
    print()


def notes(results: dict) -> list[str]:
    lines = []
    if "sqlite" in results:
        lines.append("similarity on SQLite: janus_hamming is a Python function (registered "
                     "by janus.db) that SQLite calls once per visible row with a hash, "
                     "in-process and holding the GIL; 'us/row over scan' (admin rows: "
                     "(ms - scan ms) / rows) is about that per-row cost")
    if results:
        lines.append("similarity: no index serves a Hamming distance; both backends read "
                     "every visible row with a hash on every search (PostgreSQL computes "
                     "bit_count((phash # h)::bit(64)) natively)")
    for backend, r in results.items():
        for scope, c in r["checks"].items():
            for method in ("sql", "python"):
                if c[method]["found"] != c[method]["planted"] or c[method]["decoys_returned"]:
                    lines.append(f"similarity {backend} {scope} {method}: found "
                                 f"{c[method]['found']}/{c[method]['planted']} planted, "
                                 f"{c[method]['decoys_returned']} decoys returned")
            if not c["python_equals_sql"]:
                lines.append(f"similarity {backend} {scope}: the Python answer differs "
                             "from similar()'s")
    return lines
