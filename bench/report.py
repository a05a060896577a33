"""What the bench prints (a header, the HTTP and connection tables, notes) and
writes (--json); bench/imaging.py and bench/similarity.py print their own."""
from __future__ import annotations

import json
import os
import platform
import re
import sqlite3
from importlib import metadata

PACKAGES = ("gunicorn", "peewee", "bottle", "msgspec", "psycopg2-binary", "peewee-migrate",
            "pillow")


def machine(pg_version: str | None) -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "nproc": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(), "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version, "postgresql": pg_version, "packages": versions,
    }


def header(command: str, info: dict, settings: dict, plan: dict, env_note: str,
           data_note: str, http: bool = True) -> None:
    pkgs = ", ".join(f"{k} {v}" for k, v in info["packages"].items() if v)
    print(f"command:   {command}")
    load = " ".join(map(str, info["loadavg_at_start"]))
    if info.get("loadavg_at_end"):
        load += " at start, " + " ".join(map(str, info["loadavg_at_end"])) + " at end"
    print(f"machine:   {info['nproc']} CPUs ({info['usable_cpus']} usable), "
          f"load average {load}; {info['platform']}")
    print(f"versions:  python {info['python']}, sqlite {info['sqlite']}, "
          f"postgresql {info['postgresql'] or '-'}; {pkgs}")
    if not http:  # the rest describes the HTTP part
        print()
        return
    shown = {k: v for k, v in settings.items() if k != "bind"}
    print("gunicorn:  " + ", ".join(f"{k}={v}" for k, v in shown.items())
          + "  (gunicorn.conf.py, same for every server)")
    print(f"env:       {env_note}")
    print(f"data:      {data_note}")
    print(f"load:      {plan['threads']} client threads x 1 keep-alive connection, "
          f"{plan['rounds']} rounds x {plan['seconds']:g} s per figure "
          f"(after {plan['warmup']:g} s warm-up); figure = best round, "
          f"spread = (best - worst) / best")
    print()


def _num(value, digits=1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def http_table(summaries: list[dict]) -> None:
    base = next((s for s in summaries if s["backend"] == "baseline"), None)
    base_rps = base["rps"] if base else None
    cols = ("scenario", "backend", "variant", "req/s", "spread", "p50 ms", "p99 ms",
            "client CPU", "x baseline", "errors")
    rows = []
    for s in summaries:
        ratio = s["rps"] / base_rps if base_rps else None
        rows.append((s["label"], s["backend"], s["variant"], _num(s["rps"], 0),
                     f"{s['spread'] * 100:.0f}%", _num(s["p50_ms"], 2), _num(s["p99_ms"], 2),
                     _num(s["client_cpu"], 2), _num(ratio, 2), _errors(s)))
    _table(cols, rows, right_from=3)
    effects = pool_effect(summaries)
    if effects:
        print("pool on GET /health (pooled req/s / no-pool req/s): "
              + ", ".join(f"{backend} {value:.2f}x" for backend, value in effects.items()))
        print()


def _errors(s: dict) -> str:
    if not s["errors"]:
        return "0"
    return f"{s['errors']} ({s['errors'] / max(s['requests'], 1) * 100:.0f}%)"


def pool_effect(summaries: list[dict]) -> dict:
    found = {(s["backend"], s["variant"]): s["rps"] for s in summaries if s["scenario"] == "health"}
    return {backend: rps / found[(backend, "no pool")]
            for (backend, variant), rps in found.items()
            if variant == "pooled" and found.get((backend, "no pool"))}


def connections_table(results: dict) -> None:
    cols = ("backend", "ops/round", "unpooled us/op", "pooled us/op",
            "spread (unp. / pooled)", "unpooled / pooled")
    rows = []
    for backend, r in results.items():
        unp, pool = r["unpooled"], r["pooled"]
        spread = (f"{(unp['max_us'] - unp['best_us']) / unp['best_us'] * 100:.0f}% / "
                  f"{(pool['max_us'] - pool['best_us']) / pool['best_us'] * 100:.0f}%")
        rows.append((backend, str(r["iterations"]), _num(unp["best_us"]), _num(pool["best_us"]),
                     spread, f"{r['ratio']:.1f}x"))
    _table(cols, rows, right_from=1)


def _table(cols, rows, right_from: int) -> None:
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) if rows else len(c)
              for i, c in enumerate(cols)]

    def line(values):
        cells = [str(v).rjust(w) if i >= right_from else str(v).ljust(w)
                 for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "  ".join(cells).rstrip()

    print(line(cols))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()


def notes(summaries: list[dict], skipped: dict, logs: dict, extra: list[str] = ()) -> None:
    lines = [f"{backend}: skipped ({why})" for backend, why in skipped.items()]
    for s in summaries:
        if s["errors"]:
            lines.append(f"{s['backend']} {s['label']}: {s['errors']} errors {s['statuses']}")
    dropped = [f"{s['backend']} {s['label']}{' (no pool)' if s['variant'] == 'no pool' else ''}"
               f" {s['reconnects']}" for s in summaries if s["reconnects"]]
    if dropped:
        lines.append("keep-alive connections closed by the server and reopened (gunicorn "
                     "restarting workers after max_requests): " + ", ".join(dropped))
    for name, counts in logs.items():
        if counts:
            top = sorted(counts.items(), key=lambda kv: -kv[1])[:3]
            lines.append(f"server log of {name}: "
                         + "; ".join(f"{n} x {what}" for what, n in top))
    lines += extra
    print("notes:" if lines
          else "notes: none (no errors, no dropped connections, empty server logs)")
    for text in lines:
        print(f"  - {text}")


_GUNICORN_PREFIX = re.compile(r"^\[[^]]*\] \[\d+\] ")
_LONG_NUMBER = re.compile(r"\d{5,}")


def log_summary(lines) -> dict:
    """Distinct server log messages (an error's last traceback line) -> count."""
    counts: dict = {}
    for raw in lines:
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
            tb = [ln for ln in (entry.get("traceback") or "").splitlines() if ln.strip()]
            what = f"{entry.get('level')}: {tb[-1].strip() if tb else entry.get('message')}"
        except (ValueError, AttributeError):
            what = _GUNICORN_PREFIX.sub("", raw.strip())
        what = _LONG_NUMBER.sub("N", what)[:200]  # thread ids, pids: group alike lines
        counts[what] = counts.get(what, 0) + 1
    return counts


def write_json(path: str, data: dict) -> None:
    with open(path, "w") as out:
        json.dump(data, out, indent=2, default=str)
        out.write("\n")
