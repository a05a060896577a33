"""``GET /logs?q=`` over the million logs of the ``bigdata`` section (Q1),
in-process, against the same search as a plain scan.

The search runs through its index (migration 016: pg_trgm GIN indexes,
SQLite's FTS5 trigram table). The baseline is the same first page written
without one: ``action``/``module`` ``LIKE`` (SQLite; case-insensitive for
ASCII) or ``ILIKE`` (PostgreSQL, on the bare columns, which the trigram
indexes on ``lower(column)`` cannot serve), newest first, 51 rows -- what a
list would run with no search index. Terms (janus.seeds' synthetic logs):

- rare (Q1): ``revoked`` (``admin.revoked``, 0.05 % of the rows): the scan
  reads every row, the index a few hundred;
- common (in the notes: no target): ``image`` (about two thirds of the rows): the
  scan stops after ~100 rows of the keyset index; SQLite's search reads a
  window of the newest rows and checks it against the FTS5 table in one
  rowid-range seek (janus.lists.probe); PostgreSQL picks per pattern. Also
  under ``sort=action`` (in the notes), where SQLite still reads every match
  from the FTS5 table and sorts them (a search with another order is not an
  index range there);
- short (in the notes): ``ad`` (2 characters, no trigram).

Before timing, the route's first page of each term is checked against the
scan's (the terms are ASCII: LIKE folds them alike).
"""
from __future__ import annotations

from urllib.parse import quote

from bench import inprocess
from janus.db import database, is_postgres

TERMS = {"rare": "revoked", "common": "image"}
SHORT = "ad"
SORT = "action"  # a sort other than the list's time
LIMIT = 50


def _scan(term: str) -> list[int]:
    """The first page's ids by a plain scan (no search index)."""
    like = "ILIKE" if is_postgres() else "LIKE"
    p = "%s" if is_postgres() else "?"
    with database.connection_context():
        rows = database.execute_sql(
            f"SELECT id FROM logs WHERE action {like} {p} OR module {like} {p} "
            f"ORDER BY timestamp DESC, id DESC LIMIT {LIMIT + 1}",
            (f"%{term}%", f"%{term}%")).fetchall()
    return [row_id for (row_id,) in rows[:LIMIT]]


def _path(term: str) -> str:
    return f"/logs?limit={LIMIT}&q={quote(term)}"


def check(app, token: str) -> list[str]:
    """Where the route's first page of a term differs from the scan's."""
    problems = []
    for kind, term in TERMS.items():
        got = [item["id"] for item in inprocess.get_json(app, _path(term), token)["items"]]
        if got != _scan(term):
            problems.append(f"{kind} term {term!r}: the route's first page differs from the scan's")
    return problems


def ops(app, token: str) -> dict:
    """Timed operations, each baseline before its figure (bench/timing.py)."""
    found = {}
    for kind, term in TERMS.items():
        found[f"q_scan_{kind}"] = lambda term=term: _scan(term)
        found[f"q_{kind}"] = lambda term=term: inprocess.call(app, "GET", _path(term), token)
    found["q_short"] = lambda: inprocess.call(app, "GET", _path(SHORT), token)
    found["q_common_sorted"] = lambda: inprocess.call(
        app, "GET", _path(TERMS["common"]) + f"&sort={SORT}", token)
    return found


def notes(ops: dict) -> list[str]:
    """The common and the short term's figures (no target)."""
    lines = []
    common, scan = ops.get("q_common"), ops.get("q_scan_common")
    if common and scan:
        lines.append(f"GET /logs?q={TERMS['common']} (two thirds of the rows hold it) took "
                     f"{common['median_ms']:,.1f} ms, the plain scan "
                     f"{scan['median_ms']:,.1f} ms")
    by_sort = ops.get("q_common_sorted")
    if by_sort:
        lines.append(f"GET /logs?q={TERMS['common']}&sort={SORT} took "
                     f"{by_sort['median_ms']:,.1f} ms")
    short = ops.get("q_short")
    if short:
        lines.append(f"GET /logs?q={SHORT} (2 characters, no trigram) took "
                     f"{short['median_ms']:,.1f} ms")
    return lines
