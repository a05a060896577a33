"""How many gunicorn workers, which worker class and how many threads:
measured, not assumed.

Every configuration of ``CONFIGS`` gets its own servers -- the bare WSGI
baseline and Janus per backend -- with its ``JANUS_WORKERS``, the class given
on the command line (``-k``, which overrides gunicorn.conf.py) and
``JANUS_THREADS``. All of them are up
at once and measured in the same rounds, so every configuration sees the same
machine. The scenarios are B1's ``GET /users/<id>`` (authenticated, two
queries) and ``POST /analytics`` (a write: an insert and its audit row in one
transaction, where SQLite serialises writers), with the usual 8 client
connections. The choice is the configuration with the most Janus req/s
summed over backends and scenarios.
"""
from __future__ import annotations

import statistics

from bench import baseline, runner
from bench.server import Server
from bench.tables import num
from bench.tables import table as print_rows

# (workers, worker class, threads); gunicorn turns "sync" with threads > 1
# into gthread. The shipped default on 2 cores is 4 x gthread x8.
CONFIGS = ((2, "sync", 1), (2, "gthread", 1), (2, "gthread", 2), (2, "gthread", 4),
           (2, "gthread", 8), (4, "gthread", 2), (4, "gthread", 4), (4, "gthread", 8))
SCENARIOS = ("user_get", "analytics_post")


def name(workers: int, worker_class: str, threads: int) -> str:
    return f"{workers} x {worker_class} x{threads}"


def servers(env: dict, tmp, datasets: dict) -> list[tuple[str, str, Server]]:
    """(config, backend or "baseline", Server) for every configuration."""
    out = []
    for workers, worker_class, threads in CONFIGS:
        config = name(workers, worker_class, threads)
        tag = f"{workers}{worker_class}{threads}"
        conf_env = dict(env, JANUS_WORKERS=str(workers), JANUS_THREADS=str(threads))
        args = ("-k", worker_class)
        out.append((config, "baseline", Server(f"workers-{tag}-baseline", "bench.baseline:app",
                                               {**conf_env, **baseline.ENV}, tmp, "/", args)))
        for backend, ds in datasets.items():
            janus_env = dict(conf_env, DATABASE_URL=ds.url,
                             JANUS_STORAGE_DIR=str(tmp / "storage"))
            out.append((config, backend, Server(f"workers-{tag}-{backend}", "app:app",
                                                janus_env, tmp, "/health", args)))
    return out


def targets(started: list[tuple[str, str, Server]], threads: int, datasets: dict) -> list:
    out = []
    for config, backend, server in started:
        for scenario in ("health",) if backend == "baseline" else SCENARIOS:
            out.append(runner.Target(backend, scenario, config, server.port,
                                     runner.requests_for(scenario, threads,
                                                         datasets.get(backend))))
    return out


def column(backend: str, scenario: str) -> str:
    return "baseline" if backend == "baseline" else f"{backend} {runner.SCENARIOS[scenario]}"


def table(summaries: list[dict]) -> dict:
    """{config: {"rps": {column: rps}, "x": {column: ratio to bare}, "p99": {column: ms}}}
    from the targets' summaries (medians over rounds); columns are "baseline"
    and "<backend> <scenario label>"."""
    out: dict = {}
    for s in summaries:
        row = out.setdefault(s["variant"], {"rps": {}, "x": {}, "p99": {}, "rounds": {}})
        name = column(s["backend"], s["scenario"])
        row["rps"][name] = s["rps_median"]
        row["rounds"][name] = [r["rps"] for r in s["rounds"]]
        row["p99"][name] = s["p99_ms"]
    for row in out.values():
        for backend, rounds in row["rounds"].items():
            if backend != "baseline" and row["rounds"].get("baseline"):
                pairs = [j / b for j, b in zip(rounds, row["rounds"]["baseline"], strict=False)
                         if b]
                row["x"][backend] = statistics.median(pairs) if pairs else None
    return out


def choose(results: dict) -> str | None:
    """The configuration with the most Janus req/s over backends and scenarios."""
    def janus_rps(row):
        return sum(v for k, v in row["rps"].items() if k != "baseline" and v)
    return max(results, key=lambda config: janus_rps(results[config]), default=None)


def print_table(results: dict) -> None:
    names = [n for n in next(iter(results.values()))["rps"] if n != "baseline"]
    cols = ("workers x class x threads", "bare req/s", *(f"{n} req/s" for n in names),
            *(f"{n} p99 ms" for n in names))
    rows = [(config, num(r["rps"].get("baseline"), 0),
             *(num(r["rps"].get(n), 0) for n in names),
             *(num(r["p99"].get(n), 1) for n in names)) for config, r in results.items()]
    print_rows(cols, rows, right_from=1)
    best = choose(results)
    if best:
        print(f"most Janus req/s (summed over the columns): {best}")
        print()
