"""What the bench prints (a header, the HTTP and connection tables, notes) and
writes (--json); bench/imaging.py and bench/similarity.py print their own."""
from __future__ import annotations

import json
import re

from bench.tables import num, table


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


def http_table(summaries: list[dict]) -> None:
    base = next((s for s in summaries if s["backend"] == "baseline"), None)
    base_rps = base["rps"] if base else None
    cols = ("scenario", "backend", "variant", "req/s", "spread", "CPU us/req", "CPU spread",
            "p50 ms", "p99 ms", "client CPU", "x baseline", "errors")
    rows = []
    for s in summaries:
        ratio = s["rps"] / base_rps if base_rps else None
        cpu_spread = s.get("cpu_spread")
        rows.append((s["label"], s["backend"], s["variant"], num(s["rps"], 0),
                     f"{s['spread'] * 100:.0f}%", num(s.get("cpu_us_median"), 0),
                     "-" if cpu_spread is None else f"{cpu_spread * 100:.0f}%",
                     num(s["p50_ms"], 2), num(s["p99_ms"], 2),
                     num(s["client_cpu"], 2), num(ratio, 2), _errors(s)))
    table(cols, rows, right_from=3)
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
        rows.append((backend, str(r["iterations"]), num(unp["best_us"]), num(pool["best_us"]),
                     spread, f"{r['ratio']:.1f}x"))
    table(cols, rows, right_from=1)


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


_ROUTINE = ("[INFO] ",)  # gunicorn's boot and shutdown lines


def log_summary(lines) -> dict:
    """Distinct server log messages (an error's last traceback line) -> count;
    Janus's info lines (the access line: one per request) and gunicorn's
    routine [INFO] lines are left out."""
    counts: dict = {}
    for raw in lines:
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
            if entry.get("level") in ("debug", "info"):
                continue
            tb = [ln for ln in (entry.get("traceback") or "").splitlines() if ln.strip()]
            what = f"{entry.get('level')}: {tb[-1].strip() if tb else entry.get('message')}"
        except (ValueError, AttributeError):
            what = _GUNICORN_PREFIX.sub("", raw.strip())
            if what.startswith(_ROUTINE):
                continue
        what = _LONG_NUMBER.sub("N", what)[:200]  # thread ids, pids: group alike lines
        counts[what] = counts.get(what, 0) + 1
    return counts


def everything(command: str, info: dict, settings: dict, plan: dict, env: dict, args,
               result: dict) -> list[dict]:
    """Print every section's table, then the targets table; return its rows."""
    from bench import (
        analysis_load,
        bigdata,
        fleet,
        imaging,
        inprocess,
        logins,
        similarity,
        starts,
        storage,
        targets,
        workers,
    )

    env_note = ", ".join(f"{name}={env.get(name, '(default)')}" for name in
                         ("JANUS_LOG_LEVEL", "JANUS_WORKERS", "JANUS_THREADS",
                          "JANUS_REUSE_PORT", "JANUS_DB_POOL_SIZE"))
    counts = next(iter(result.get("datasets", {}).values()), {})
    data_note = (", ".join(f"{n} {name}" for name, n in counts.items())
                 + " per backend (images with random phashes); one bearer token per user, "
                 "client threads take them in turn") if counts else "-"
    print()
    header(command, info, settings, plan, env_note, data_note, bool(result.get("targets")))
    if result.get("targets"):
        print("HTTP (req/s: higher is better; x baseline = req/s / bare WSGI app req/s; "
              "best round)")
        http_table(result["targets"])
    if result.get("connections"):
        print("connect + SELECT 1 + close, in-process, best of "
              f"{plan['rounds']} rounds (lower us/op is better; spread = (worst - best) / best)")
        connections_table(result["connections"])
    if result.get("inprocess"):
        print("the JSON access line's own cost (default configuration: on at INFO):")
        for backend, r in result["inprocess"].items():
            cost = inprocess.access_line_cost(r)
            line = cost.pop("line")
            print(f"  in-process, {backend}: one line logged alone {line:.0f} us CPU; with "
                  "minus without it, per request (median of per-round differences): "
                  + ", ".join(f"{name} {us:+.0f} us" for name, us in cost.items()))
            if r.get("cold"):
                print(f"  in-process, {backend}: GET /users/<id> alone {r['cold']['hot_us']:.0f} "
                      f"us CPU hot, {r['cold']['cold_us']:.0f} us right after 8 MB read "
                      "(caches evicted: what a served request pays)")
        quiet = next((s for s in result["targets"] if s["variant"] == "no access line"), None)
        loud = next((s for s in result["targets"] if s["backend"] == quiet["backend"]
                     and s["scenario"] == quiet["scenario"] and s["variant"] == "pooled"),
                    None) if quiet else None
        if quiet and loud:
            print(f"  HTTP, {quiet['backend']} {quiet['label']}: {loud['rps_median']:,.0f} "
                  f"req/s with it, {quiet['rps_median']:,.0f} without (medians over rounds: "
                  f"{(1 - loud['rps_median'] / quiet['rps_median']) * 100:.0f}% fewer with it)")
        print()
    if result.get("argon2"):
        login = next((s for s in result.get("targets", []) if s["scenario"] == "login"), None)
        print(logins.summary_line(result["argon2"], login, info["usable_cpus"]))
        print()
    if result.get("starts"):
        starts.print_table(result["starts"], settings)
    if result.get("workers"):
        print(f"gunicorn workers x worker class x threads ({plan['threads']} client "
              "connections; req/s medians over rounds)")
        workers.print_table(result["workers"])
    if result.get("fleet"):
        fleet.print_table(result["fleet"])
    if result.get("imaging"):
        im = result["imaging"]
        print(f"Imaging, in-process, one core: a {im['size'][0]}x{im['size'][1]} synthetic "
              f"photo (seed {im['seed']}), best of {plan['rounds']} rounds (lower ms/op is "
              "better; x decode = ms / ms of Pillow's full decode of the same bytes)")
        imaging.print_table(im)
    if result.get("storage"):
        print(f"File store, in-process (WebTest, SQLite): a {result['storage']['bytes'] / 1e6:.1f}"
              f" MB JPEG, best of {plan['rounds']} rounds (x local disk = median over rounds "
              "of ms with S3 / ms with the local disk)")
        storage.print_table(result["storage"])
    if result.get("similarity"):
        rows = next(iter(result["similarity"].values()))["rows"]
        print(f"Near-duplicate search, in-process: {rows:,} images with random phashes over "
              f"{similarity.N_OWNERS} owners; similar(max_distance={similarity.MAX_DISTANCE}, "
              f"limit={similarity.LIMIT}), best of {plan['rounds']} rounds (x scan = ms / ms "
              "of COUNT(*) over the same rows)")
        similarity.print_table(result["similarity"])
    if result.get("analysis"):
        analysis_load.print_table(result["analysis"])
        print()
    notes(result.get("targets", []), result.get("skipped", {}), result.get("logs", {}),
          similarity.notes(result.get("similarity") or {})
          + bigdata.notes(result.get("bigdata") or {}))
    rows = targets.all_rows(result)
    print()
    print(f"TARGETS (issue #9): ratios are medians over {plan['rounds']} rounds of "
          "figure / baseline measured in the same round; whole run "
          f"{info.get('seconds', 0) / 60:.1f} min")
    for line in targets.table_lines(rows):
        print(line)
    print(targets.summary_line(rows))
    return rows


def write_json(path: str, data: dict) -> None:
    with open(path, "w") as out:
        json.dump(data, out, indent=2, default=str)
        out.write("\n")
