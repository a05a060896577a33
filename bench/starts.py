"""B1 over several fresh gunicorn starts, with keep-alive clients.

A client that keeps its connections open stays with the worker that accepted
them, so how one start happens to split the connections decides its req/s
for as long as they stay open. One start is one draw; this section starts the
bare WSGI baseline and Janus (SQLite, GET /users/<id>) afresh ``starts``
times each, alternately, and drives each start with ``connections``
keep-alive connections: wrk (``-t2``) when it is on PATH, else the bench's
own Python client (bench/load.py). Per start it records req/s, the CPU ticks
each worker used (/proc/<pid>/stat) and the connections each worker held
mid-run, so an imbalance shows. B1 is judged on the worst Janus start
against the median baseline start.
"""
from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

from bench import baseline, load, runner, workerload
from bench.server import Server

CONNECTIONS = 16


def client_name() -> str:
    return "wrk -t2" if shutil.which("wrk") else "python (bench/load.py)"


def _wrk(port: int, request: load.Request, connections: int, seconds: float) -> dict:
    headers = [arg for name, value in request.headers for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", *headers,
         f"http://127.0.0.1:{port}{request.path}"],
        capture_output=True, text=True, timeout=seconds + 60, check=False).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict:
    """{"requests", "seconds", "errors"} from wrk's report; errors are
    non-2xx/3xx answers plus socket errors (connect, read, write, timeout)."""
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if not done:
        raise RuntimeError(f"wrk printed no figures:\n{out}")
    elapsed = float(done[2]) / (1000 if done[3] == "ms" else 1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", out)
    errors = (int(bad[1]) if bad else 0) + (
        sum(int(n) for n in socket_errors.groups()) if socket_errors else 0)
    return {"requests": int(done[1]), "seconds": elapsed, "errors": errors}


def _python(port: int, request: load.Request, connections: int, seconds: float) -> dict:
    result = load.run(port, [[request]] * connections, seconds)
    return {"requests": result.requests, "seconds": result.seconds, "errors": result.errors}


def drive(port: int, request: load.Request, connections: int, seconds: float) -> dict:
    client = _wrk if shutil.which("wrk") else _python
    return client(port, request, connections, seconds)


def measure_start(server: Server, request: load.Request, connections: int, seconds: float,
                  warmup: float) -> dict:
    """One fresh start: boot, warm up, then the measured run with its
    per-worker CPU ticks and the connections each worker holds halfway."""
    with server:
        server.wait_ready()
        drive(server.port, request, connections, warmup)  # imports, pools, caches
        before = workerload.workers_ticks(server.pid)
        total_before = workerload.total_ticks(server.pid)
        outcome: dict = {}
        loader = threading.Thread(target=lambda: outcome.update(
            drive(server.port, request, connections, seconds)))
        loader.start()
        time.sleep(seconds / 2)
        held = workerload.connections(server.pid, server.port)
        loader.join()
        ticks = workerload.ticks_delta(before, workerload.workers_ticks(server.pid))
        total = workerload.total_ticks(server.pid) - total_before
    rps = outcome["requests"] / outcome["seconds"] if outcome["seconds"] else 0.0
    cpu_us = (total / workerload.TICKS_PER_SECOND * 1e6 / outcome["requests"]
              if outcome["requests"] else None)
    return {"rps": rps, "requests": outcome["requests"], "errors": outcome["errors"],
            "worker_ticks": sorted(ticks.values(), reverse=True),
            "worker_connections": sorted(held.values(), reverse=True),
            "cpu_us_per_request": cpu_us}


def summary(starts: list[dict]) -> dict:
    """Worst, median and best start by req/s, with the worst start's split."""
    ordered = sorted(starts, key=lambda s: s["rps"])
    cpu = [s["cpu_us_per_request"] for s in starts if s["cpu_us_per_request"] is not None]
    return {"starts": len(starts), "worst": ordered[0]["rps"],
            "median": statistics.median(s["rps"] for s in starts), "best": ordered[-1]["rps"],
            "worst_split": {"worker_ticks": ordered[0]["worker_ticks"],
                            "worker_connections": ordered[0]["worker_connections"]},
            "cpu_us_per_request_median": statistics.median(cpu) if cpu else None,
            "errors": sum(s["errors"] for s in starts),
            "uneven_starts": sum(uneven(s["worker_connections"]) for s in starts),
            "all": starts}


def uneven(held: list[int]) -> bool:
    """A worker held no connection while another held several."""
    return len(held) > 1 and min(held) == 0 and max(held) > 1


def measure(env: dict, tmp, ds, starts: int, seconds: float, warmup: float,
            connections: int = CONNECTIONS) -> dict:
    """{"client", "connections", "baseline": summary, "janus": summary}."""
    janus_env = dict(env, DATABASE_URL=ds.url, JANUS_STORAGE_DIR=str(tmp / "storage"))
    janus_request = runner.requests_for("user_get", 1, ds)[0][0]
    runs: dict = {"baseline": [], "janus": []}
    for n in range(1, starts + 1):
        print(f"  fresh start {n}/{starts}", file=sys.stderr, flush=True)
        for name, app, server_env, ready, request in (
                ("baseline", "bench.baseline:app", {**env, **baseline.ENV}, "/", load.get("/")),
                ("janus", "app:app", janus_env, "/health", janus_request)):
            server = Server(f"starts-{name}-{n}", app, server_env, tmp, ready)
            runs[name].append(measure_start(server, request, connections, seconds, warmup))
    return {"client": client_name(), "connections": connections,
            **{name: summary(values) for name, values in runs.items()}}


def print_table(result: dict, settings: dict) -> None:
    print(f"B1 over fresh starts: {result['client']}, {result['connections']} keep-alive "
          f"connections, {settings.get('workers')} workers x {settings.get('threads')} "
          f"threads, reuse_port {settings.get('reuse_port')} (req/s: worst, median, best "
          "start; per start: connections each worker held mid-run / its CPU ticks)")
    for name in ("baseline", "janus"):
        s = result[name]
        cpu = s["cpu_us_per_request_median"]
        print(f"  {name:8}  worst {s['worst']:7,.0f}  median {s['median']:7,.0f}  best "
              f"{s['best']:7,.0f}  CPU/request {'-' if cpu is None else f'{cpu:,.0f} us'}"
              f"  uneven starts {s['uneven_starts']}/{s['starts']}  errors {s['errors']}")
        print("            " + "  ".join(
            f"{one['rps']:,.0f}: {one['worker_connections']}/{one['worker_ticks']}"
            for one in s["all"]))
    print()
