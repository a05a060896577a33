"""Scenarios, and the rounds that measure them.

A *target* is one scenario against one running server. Every target is warmed
up once, then measured in rounds: each round runs the baseline first and then
every Janus target, so slow drifts of a shared machine land on both sides of
a ratio. A target's figure is its best round (most req/s, and that round's
latencies); the spread is (best - worst) / best of its req/s. Each round also
records the CPU the server's workers used per request (/proc ticks), which a
busy machine moves far less than req/s: a row whose req/s spreads while its
CPU per request does not was slowed by the machine, not by Janus.

A round in which a gunicorn worker restarted (``max_requests``: its clients'
connections were closed and reopened) is measured again, up to
``RESTART_RETRIES`` times: for the second or two the new worker takes to
boot, the connections that land on its socket wait, which can cut a 3 s
round's req/s by half or more (docs/benchmarks.md, "Why a row is noisy").
The discarded rounds stay in the JSON.
"""
from __future__ import annotations

import dataclasses
import json
import statistics
import sys

from bench import load, workerload
from bench.dataset import Dataset

# name -> label printed in the table
SCENARIOS = {
    "health": "GET /health",
    "auth_me": "GET /auth/me",
    "user_get": "GET /users/<id>",
    "images_list": "GET /images?limit=50",
    "logs_list": "GET /logs?limit=50",
    "image_get": "GET /images/<id>",
    "image_similar": "GET /images/<id>/similar",
    "analytics_post": "POST /analytics",
    "login": "POST /auth/login",
}
RESTART_RETRIES = 2
LOGIN_PASSWORD = "bench-login-password-1"  # bench/logins.py gives the users its hash
ANALYTICS_BODY = json.dumps({"research_topic": "bench",
                             "data": {"score": 0.93, "labels": ["cat", "sofa"]}}).encode()


def requests_for(scenario: str, threads: int, ds: Dataset | None) -> list[list[load.Request]]:
    """One request list per client thread; threads take the bench users in turn."""
    per_thread = []
    for i in range(threads):
        token = ds.tokens[i % len(ds.tokens)] if ds else None
        if scenario == "health":
            reqs = [load.get("/health")]
        elif scenario == "auth_me":
            reqs = [load.get("/auth/me", token)]
        elif scenario == "user_get":  # the caller's own record
            reqs = [load.get(f"/users/{ds.user_ids[i % len(ds.tokens)]}", token)]
        elif scenario == "images_list":
            reqs = [load.get("/images?limit=50", token)]
        elif scenario == "logs_list":  # the caller's own audit rows (500 of them)
            reqs = [load.get("/logs?limit=50", token)]
        elif scenario == "image_get":
            reqs = [load.get(f"/images/{n}", token) for n in ds.image_ids[i % len(ds.tokens)]]
        elif scenario == "image_similar":  # default max_distance=10, limit=20
            reqs = [load.get(f"/images/{n}/similar", token)
                    for n in ds.image_ids[i % len(ds.tokens)]]
        elif scenario == "login":  # the bench users' emails; no token
            body = json.dumps({"login": f"bench{i % len(ds.tokens)}@example.com",
                               "password": LOGIN_PASSWORD}).encode()
            reqs = [load.post_json("/auth/login", body)]
        elif scenario == "analytics_post":
            reqs = [load.post_json("/analytics", ANALYTICS_BODY, token)]
        else:
            raise ValueError(f"unknown scenario {scenario!r}")
        per_thread.append(reqs)
    return per_thread


@dataclasses.dataclass
class Target:
    backend: str  # "baseline", "sqlite", "postgresql"
    scenario: str
    variant: str  # "pooled" (Janus as shipped), "no pool", "no access line", "bare WSGI"
    port: int
    per_thread: list
    rounds: list = dataclasses.field(default_factory=list)  # load.Result per round
    master_pid: int | None = None  # the gunicorn serving it: CPU per request per round
    cpu_us: list = dataclasses.field(default_factory=list)  # per round, when master_pid
    restarted: list = dataclasses.field(default_factory=list)  # discarded rounds

    @property
    def label(self) -> str:
        return SCENARIOS[self.scenario]

    def summary(self) -> dict:
        """The best round (noise on a shared machine only ever slows a round down)."""
        best = max(self.rounds, key=lambda r: r.rps)
        rps = [r.rps for r in self.rounds]
        return {
            "backend": self.backend, "scenario": self.scenario, "variant": self.variant,
            "label": self.label, "rps": best.rps, "rps_min": min(rps),
            "rps_median": statistics.median(rps),
            "spread": (max(rps) - min(rps)) / best.rps if best.rps else 0.0,
            "p50_ms": best.p50_ms, "p99_ms": best.p99_ms, "client_cpu": best.client_cpu,
            "requests": sum(r.requests for r in self.rounds),
            "errors": sum(r.errors for r in self.rounds),
            "reconnects": sum(r.reconnects for r in self.rounds),
            "statuses": _merge(r.statuses for r in self.rounds),
            "rounds": [r.to_dict() for r in self.rounds],
            "cpu_us_rounds": self.cpu_us,
            "cpu_us_median": statistics.median(self.cpu_us) if self.cpu_us else None,
            "cpu_spread": _spread(self.cpu_us),
            "restarted_rounds": [r.to_dict() for r in self.restarted],
        }


def _spread(values: list[float]) -> float | None:
    """(most - least) / least: how far the worst round is from the best."""
    return (max(values) - min(values)) / min(values) if values and min(values) else None


def _merge(dicts) -> dict:
    merged: dict = {}
    for d in dicts:
        for key, count in d.items():
            merged[key] = merged.get(key, 0) + count
    return merged


def measure_round(target: Target, seconds: float) -> None:
    """One round of ``target``, measured again if a worker restarted in it."""
    for attempt in range(RESTART_RETRIES + 1):
        ticks = workerload.total_ticks(target.master_pid) if target.master_pid else None
        result = load.run(target.port, target.per_thread, seconds)
        if not result.reconnects or attempt == RESTART_RETRIES:
            break
        target.restarted.append(result)
    target.rounds.append(result)
    if ticks is not None and result.requests:
        used = workerload.total_ticks(target.master_pid) - ticks
        target.cpu_us.append(used / workerload.TICKS_PER_SECOND * 1e6 / result.requests)


def measure(targets: list[Target], rounds: int, seconds: float, warmup: float) -> None:
    """Fill every target's ``rounds``; progress goes to stderr."""
    for target in targets:
        load.run(target.port, target.per_thread, warmup)  # first requests, pools, caches
    for n in range(1, rounds + 1):
        print(f"  round {n}/{rounds} ", end="", file=sys.stderr, flush=True)
        for target in targets:
            measure_round(target, seconds)
            print(".", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr, flush=True)
