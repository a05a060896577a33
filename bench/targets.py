"""The targets of issue #9: one row per target and backend, its baseline, the
measured ratio (or figure), the target and PASS/FAIL.

Pure functions of the figures the sections collect (no timing here), so the
judgement and the table are unit-tested. A ratio is the median, over rounds,
of (figure in round r) / (baseline in round r): each round measures both
sides, so a slow drift of a shared machine lands on both.
"""
from __future__ import annotations

import dataclasses
import statistics

PASS, FAIL, MISSING = "PASS", "FAIL", "not measured"
# C1: a count reads every matching row, a page fifty; at 1M logs the count
# must stay within this many pages' time (docs/api.md quotes the figures).
LIMIT_C1 = 100.0


@dataclasses.dataclass(frozen=True)
class Spec:
    id: str
    what: str
    baseline: str
    op: str  # ">=" or "<="
    limit: float
    unit: str = "x"  # "x": a ratio to the baseline; "MB": an absolute figure

    @property
    def target(self) -> str:
        return f"{self.op} {self.limit:g}{' MB' if self.unit == 'MB' else ''}"


SPECS = {spec.id: spec for spec in (
    Spec("B1", "authenticated GET, SQLite, gunicorn", "bare WSGI, same gunicorn", ">=", 0.50),
    Spec("B1c", "the B1 routes in-process, CPU per request", "GET /health in-process",
         "<=", 4.0),
    Spec("B2", "B1 on PostgreSQL", "bare WSGI, same gunicorn", ">=", 0.40),
    Spec("L1", "list of 50, gunicorn", "bare WSGI, same gunicorn", ">=", 0.25),
    Spec("B3", "GET /logs?limit=50 page 1,000 (cursor), in-process", "page 1", "<=", 1.3),
    Spec("B4", "--generate logs (rows/s)", "raw executemany (rows/s)", ">=", 0.5),
    Spec("B5", "GET /analytics/summary?days=30 as admin, in-process",
         "the same aggregates, hand-written SQL", "<=", 2.0),
    Spec("E1", "GET /logs/export (CSV, NDJSON) of every log, in-process: RSS growth",
         "RSS before the export", "<=", 64, unit="MB"),
    Spec("B6", "peak RSS of one worker (VmHWM)", "none", "<=", 80, "MB"),
    Spec("B7", "inspect_image of a 12 MP JPEG (upload)", "Pillow full decode", "<=", 0.5),
    Spec("S1", "GET /images/<id>/similar as admin, in-process", "COUNT(*) over the same rows",
         "<=", 3.0),
    Spec("C1", "GET /logs?limit=50&count=true as admin, in-process",
         "the same page without count", "<=", LIMIT_C1),
    Spec("Q1", "GET /logs?q=<rare term>&limit=50 as admin, in-process",
         "the same page by a plain scan (LIKE, no index)", "<=", 0.5),
)}


def judge(value: float | None, spec: Spec) -> str:
    if value is None:
        return MISSING
    ok = value >= spec.limit if spec.op == ">=" else value <= spec.limit
    return PASS if ok else FAIL


def paired_ratio(values: list[float], baseline: list[float]) -> float | None:
    """Median over rounds of values[r] / baseline[r] (rounds paired by index)."""
    pairs = [v / b for v, b in zip(values, baseline, strict=False) if b]
    return statistics.median(pairs) if pairs else None


def row(spec_id: str, subject: str, value: float | None, figures: str = "") -> dict:
    spec = SPECS[spec_id]
    return {"id": spec_id, "what": f"{spec.what}: {subject}" if subject else spec.what,
            "baseline": spec.baseline, "value": value, "unit": spec.unit,
            "target": spec.target, "verdict": judge(value, spec), "figures": figures}


def _rps_rounds(summary: dict) -> list[float]:
    return [r["rps"] for r in summary["rounds"]]


# scenario name -> target (HTTP, pooled Janus as shipped)
HTTP_TARGETS = {("sqlite", "user_get"): "B1", ("sqlite", "auth_me"): "B1",
                ("postgresql", "user_get"): "B2", ("postgresql", "auth_me"): "B2",
                ("sqlite", "images_list"): "L1", ("sqlite", "logs_list"): "L1",
                ("postgresql", "images_list"): "L1", ("postgresql", "logs_list"): "L1"}


def http_rows(summaries: list[dict]) -> list[dict]:
    base = next((s for s in summaries if s["backend"] == "baseline"), None)
    rows = []
    for (backend, scenario), spec_id in HTTP_TARGETS.items():
        found = next((s for s in summaries if s["backend"] == backend
                      and s["scenario"] == scenario and s["variant"] == "pooled"), None)
        subject = f"{_label(scenario)} ({backend})"
        if found is None or base is None:
            rows.append(row(spec_id, subject, None))
            continue
        value = paired_ratio(_rps_rounds(found), _rps_rounds(base))
        figures = (f"{found['rps_median']:,.0f} vs {base['rps_median']:,.0f} req/s"
                   + (f"; {found['errors']} errors" if found["errors"] else ""))
        rows.append(row(spec_id, subject, None if found["errors"] else value, figures))
    return rows


def starts_rows(result: dict | None) -> list[dict]:
    """B1 from bench/starts.py: the worst of several fresh starts of Janus
    against the median start of the bare app, both with keep-alive clients."""
    if not result:
        return []
    janus, bare = result["janus"], result["baseline"]
    subject = (f"GET /users/<id> (sqlite), {result['connections']} keep-alive connections, "
               f"worst of {janus['starts']} fresh starts")
    split = janus["worst_split"]["worker_connections"]
    figures = (f"worst {janus['worst']:,.0f}, median {janus['median']:,.0f} vs "
               f"{bare['median']:,.0f} req/s; worst start's workers held {split} connections"
               + (f"; {janus['errors']} errors" if janus["errors"] else ""))
    value = janus["worst"] / bare["median"] if bare["median"] and not janus["errors"] else None
    return [row("B1", subject, value, figures)]


def _label(scenario: str) -> str:
    return {"user_get": "GET /users/<id>", "auth_me": "GET /auth/me",
            "images_list": "GET /images?limit=50", "logs_list": "GET /logs?limit=50"}[scenario]


def inprocess_rows(results: dict) -> list[dict]:
    """B1c from bench/inprocess.py: {backend: {"ops": {name: timing summary}}}.
    The figures also give the ratio to ``GET /`` (no database, no probe), for
    information: /health has read the database and checked both stores for
    writes since it became the baseline (the file store's probe write at
    most every 2 s)."""
    rows = []
    for backend, r in results.items():
        health, root = r["ops"]["health"], r["ops"].get("root")
        for name in ("user_get", "auth_me"):
            op = r["ops"][name]
            figures = (f"{op['median_ms'] * 1000:,.0f} vs {health['median_ms'] * 1000:,.0f}"
                       " us CPU")
            if root is not None:
                figures += (f"; vs GET / ({root['median_ms'] * 1000:,.0f} us): "
                            f"{paired_ratio(op['rounds_ms'], root['rounds_ms']):.1f}x")
            rows.append(row("B1c", f"{_label(name)} ({backend})",
                            paired_ratio(op["rounds_ms"], health["rounds_ms"]), figures))
    return rows


def memory_rows(peaks: dict) -> list[dict]:
    """B6: {backend: peak VmHWM in KiB of any worker of that server}."""
    return [row("B6", f"after the HTTP load ({backend})",
                None if kib is None else kib / 1024, "")
            for backend, kib in peaks.items()]


def imaging_rows(result: dict | None) -> list[dict]:
    if not result or "JPEG" not in result["formats"]:
        return [row("B7", "", None)]
    ops = result["formats"]["JPEG"]["ops"]
    value = paired_ratio(ops["inspect_image"]["rounds_ms"], ops["decode"]["rounds_ms"])
    return [row("B7", "", value, f"{ops['inspect_image']['median_ms']:,.0f} vs "
                f"{ops['decode']['median_ms']:,.0f} ms")]


def bigdata_rows(results: dict) -> list[dict]:
    """B3, B4, B5, S1, C1, Q1 from bench/bigdata.py, E1 from
    bench/bigdata_export.py: {backend: {...}}."""
    rows = []
    for backend, r in results.items():
        ops = r["ops"]
        for spec_id, name, base, unit, subject in (
                ("B3", "page_1000", "page_1", "ms", f"{r['logs']:,} logs"),
                ("B5", "summary", "summary_sql", "ms",
                 f"{r['logs']:,} logs, {r['security']:,} security events"),
                ("S1", "similar", "count", "ms", f"{r['images']:,} images"),
                ("C1", "list_count", "list", "ms", f"{r['logs']:,} logs"),
                ("C1", "user_list_count", "user_list", "ms",
                 f"one user's {r.get('counted', {}).get('user_list_count', 0):,} logs"),
                ("Q1", "q_rare", "q_scan_rare", "ms", f"{r['logs']:,} logs")):
            if name not in ops:
                rows.append(row(spec_id, f"{subject} ({backend})", None))
                continue
            rows.append(row(spec_id, f"{subject} ({backend})",
                            paired_ratio(ops[name]["rounds_ms"], ops[base]["rounds_ms"]),
                            f"{ops[name]['median_ms']:,.1f} vs {ops[base]['median_ms']:,.1f} "
                            f"{unit}"))
        for output, f in (r.get("exports") or {}).items():
            rows.append(row("E1", f"{f['rows']:,} logs, {output} ({backend})",
                            (f["rss_peak_kib"] - f["rss_start_kib"]) / 1024,
                            f"{f['rows_per_s']:,.0f} rows/s; RSS {f['rss_start_kib'] / 1024:,.0f}"
                            f" -> peak {f['rss_peak_kib'] / 1024:,.0f} -> "
                            f"{f['rss_end_kib'] / 1024:,.0f} MB"))
        gen = r.get("generate")
        if gen:
            raw = statistics.median(gen["raw_rows_per_s"])
            rows.append(row("B4", f"{gen['rows']:,} logs ({backend})", gen["rows_per_s"] / raw,
                            f"{gen['rows_per_s']:,.0f} vs {raw:,.0f} rows/s"))
    return rows


def summary_line(rows: list[dict]) -> str:
    counts = {verdict: sum(r["verdict"] == verdict for r in rows)
              for verdict in (PASS, FAIL, MISSING)}
    return (f"{counts[PASS]} of {len(rows)} rows pass, {counts[FAIL]} fail"
            + (f", {counts[MISSING]} not measured" if counts[MISSING] else ""))


def format_value(r: dict) -> str:
    if r["value"] is None:
        return "-"
    return f"{r['value']:.1f} MB" if r["unit"] == "MB" else f"{r['value']:.2f}"


def table_lines(rows: list[dict]) -> list[str]:
    cols = ("#", "what", "baseline (same run)", "measured", "target", "result", "figures")
    cells = [(r["id"], r["what"], r["baseline"], format_value(r), r["target"], r["verdict"],
              r["figures"]) for r in rows]
    widths = [max([len(c), *(len(str(cell[i])) for cell in cells)]) for i, c in enumerate(cols)]

    def line(values):
        out = [str(v).rjust(w) if i == 3 else str(v).ljust(w)
               for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "  ".join(out).rstrip()

    return [line(cols), "  ".join("-" * w for w in widths), *map(line, cells)]


def all_rows(result: dict) -> list[dict]:
    """Every target's rows from a run's figures, in SPECS order; a target no
    section measured (not asked for, or its backend unreachable) gets one
    ``not measured`` row, so a missing figure never goes unnoticed."""
    rows = (http_rows(result.get("targets") or [])
            + starts_rows(result.get("starts"))
            + inprocess_rows(result.get("inprocess") or {})
            + memory_rows(result.get("memory_kib") or {})
            + imaging_rows(result.get("imaging"))
            + bigdata_rows(result.get("bigdata") or {}))
    for spec_id in SPECS:
        if not any(r["id"] == spec_id for r in rows):
            rows.append(row(spec_id, "", None))
    order = list(SPECS)
    return sorted(rows, key=lambda r: order.index(r["id"]))  # stable: backends keep order
