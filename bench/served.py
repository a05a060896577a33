"""The sections that need the small HTTP datasets: B1c in-process, the argon2
cost, Janus under gunicorn (B1, B2, L1, B6, the access line, logins), B1 over
fresh starts with keep-alive clients, the gunicorn worker class / thread
comparison and two hosts behind haproxy (bench/fleet.py).

Order: datasets (per backend), then the in-process figures while no server
runs, then the HTTP servers (measured in rounds, then stopped), then the
fresh starts (one server at a time), then the worker configurations (all up
at once, measured in rounds, stopped).
"""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from bench import (
    baseline,
    connections,
    dataset,
    fleet,
    inprocess,
    logins,
    memory,
    report,
    runner,
    starts,
    workers,
)
from bench.server import Server
from janus.db import init_database

# Janus targets per backend, beyond "health" (measured first)
PER_BACKEND = ("health", "auth_me", "user_get", "images_list", "logs_list", "image_get",
               "image_similar", "analytics_post")


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare(args, plan, tmp: Path, stack) -> tuple[dict, dict, dict]:
    """({backend: Dataset}, {backend: connection micro-benchmark}, {backend: why skipped})."""
    datasets, micro, skipped = {}, {}, {}
    for backend in args.backends:
        try:
            url = stack.enter_context(dataset.sqlite_url(tmp) if backend == "sqlite"
                                      else dataset.postgres_url())
        except dataset.Unavailable as exc:
            skipped[backend] = str(exc)
            _say(f"  {backend}: {exc} -- skipped")
            continue
        _say(f"  {backend}: migrating and filling {url}")
        datasets[backend] = ds = dataset.prepare(url)
        db = init_database(url)
        try:
            logins.prepare_users(ds.user_ids)  # default-parameter hashes: no rehash
        finally:
            db.close_all()
        _say(f"  {backend}: connection micro-benchmark")
        iterations = plan["iterations"][0 if backend == "sqlite" else 1]
        micro[backend] = connections.measure(url, iterations, plan["rounds"])
    return datasets, micro, skipped


def http_targets(env: dict, tmp: Path, plan, datasets: dict, stack) -> tuple[list, list, dict]:
    """(servers, targets, {backend: janus master Server}) -- servers started."""
    threads = plan["threads"]
    servers = [stack.enter_context(Server("baseline", "bench.baseline:app",
                                           {**env, **baseline.ENV}, tmp, "/"))]
    targets = [runner.Target("baseline", "health", "bare WSGI", servers[0].port,
                             runner.requests_for("health", threads, None),
                             master_pid=servers[0].pid)]
    janus_servers = {}
    for backend, ds in datasets.items():
        janus_env = dict(env, DATABASE_URL=ds.url, JANUS_STORAGE_DIR=str(tmp / "storage"))

        def start(name, app="app:app", extra=None, env_=janus_env):
            server = stack.enter_context(Server(name, app, dict(env_, **(extra or {})), tmp,
                                                "/health"))
            servers.append(server)
            return server

        janus = janus_servers[backend] = start(f"janus-{backend}")
        for scenario in PER_BACKEND:
            targets.append(runner.Target(backend, scenario, "pooled", janus.port,
                                         runner.requests_for(scenario, threads, ds),
                                         master_pid=janus.pid))
        nopool = start(f"janus-{backend}-nopool", "bench.nopool:app")
        targets.append(runner.Target(backend, "health", "no pool", nopool.port,
                                     runner.requests_for("health", threads, ds),
                                     master_pid=nopool.pid))
        if backend == "sqlite":
            quiet = start("janus-sqlite-no-access-line", extra={"JANUS_LOG_LEVEL": "WARNING"})
            targets.append(runner.Target(backend, "user_get", "no access line", quiet.port,
                                         runner.requests_for("user_get", threads, ds),
                                         master_pid=quiet.pid))
            login = start("janus-sqlite-logins", extra={"JANUS_RATE_LIMIT_LOGIN": ""})
            targets.append(runner.Target(backend, "login", "pooled", login.port,
                                         runner.requests_for("login", threads, ds),
                                         master_pid=login.pid))
    return servers, targets, janus_servers


def _logs(servers) -> dict:
    out = {}
    for server in servers:
        with open(server.log_path, errors="replace") as lines:
            out[server.name] = report.log_summary(lines)
    return out


def _measure_servers(servers: list, targets: list, plan, masters: dict | None = None) -> dict:
    for server in servers:
        server.wait_ready()
    _say(f"  {len(servers)} gunicorn servers up; measuring {len(targets)} figures")
    sampler = memory.Sampler(masters or {})
    sampler.start()
    try:
        runner.measure(targets, plan["rounds"], plan["seconds"], plan["warmup"])
    finally:
        peaks = sampler.stop()
    return peaks


def run(args, plan, env: dict, tmp: Path, stack) -> dict:
    datasets, micro, skipped = prepare(args, plan, tmp, stack)
    out = {"http_skipped": skipped, "connections": micro, "targets": [], "logs": {},
           "datasets": {b: ds.counts for b, ds in datasets.items()}, "inprocess": {},
           "argon2": None, "memory_kib": {}, "workers": {}, "starts": None}
    if "http" in args.sections:
        for backend, ds in datasets.items():
            _say(f"  {backend}: in-process requests (CPU)")
            out["inprocess"][backend] = inprocess.measure(ds, tmp, backend, plan["rounds"],
                                                          plan["sample_seconds"])
        _say("  argon2: one hash, one verify")
        out["argon2"] = logins.measure_hash(plan["rounds"], plan["sample_seconds"])
        with contextlib.ExitStack() as servers_stack:
            servers, targets, janus = http_targets(env, tmp, plan, datasets, servers_stack)
            servers_stack.callback(lambda: [server.terminate() for server in servers])
            peaks = _measure_servers(servers, targets, plan,
                                     {backend: s.pid for backend, s in janus.items()})
            out["logs"] = _logs(servers)
        out["targets"] = [t.summary() for t in targets]
        out["memory_kib"] = peaks
    if "starts" in args.sections and "sqlite" in datasets:
        _say("  B1 over fresh starts, keep-alive clients: " + starts.client_name())
        out["starts"] = starts.measure(env, tmp, datasets["sqlite"], plan["starts"],
                                       max(plan["seconds"], 1.0), plan["warmup"])
    if "workers" in args.sections and datasets:
        with contextlib.ExitStack() as servers_stack:
            started = workers.servers(env, tmp, datasets)
            servers = [servers_stack.enter_context(server) for _, _, server in started]
            servers_stack.callback(lambda: [server.terminate() for server in servers])
            targets = workers.targets(started, plan["threads"], datasets)
            _measure_servers(servers, targets, plan)
            out["logs"].update(_logs(servers))
        out["workers"] = workers.table([t.summary() for t in targets])
    if "fleet" in args.sections:
        if "postgresql" not in datasets:
            out["fleet"] = {"skipped": "several hosts need PostgreSQL"}
        else:
            _say("  fleet: two hosts behind haproxy vs one")
            with contextlib.ExitStack() as fleet_stack:
                out["fleet"] = fleet.measure(env, tmp, plan, datasets["postgresql"],
                                             fleet_stack)
    return out
