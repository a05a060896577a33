"""``python -m bench``: Janus's costs as ratios to baselines timed in the same run.

HTTP under gunicorn vs a bare WSGI app; imaging vs a plain Pillow decode;
near-duplicate search vs a plain scan of the same rows.

See bench/README.md for what each figure means. Everything started here
(gunicorn servers, the temporary SQLite file, the PostgreSQL database) is
stopped or removed on the way out, including after Ctrl-C or an error.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import sys
import tempfile
from pathlib import Path

from bench import connections, dataset, imaging, report, runner, similarity
from bench.server import Server, ServerError, gunicorn_settings

BACKENDS = ("sqlite", "postgresql")
SECTIONS = ("http", "imaging", "similarity")
# seconds, rounds, warm-up (HTTP); micro-benchmark iterations (sqlite, postgresql);
# sample_seconds: least time one in-process sample lasts; similar_rows: images
# in the near-duplicate search databases
PROFILES = {
    "default": dict(seconds=3.0, rounds=3, warmup=1.0, iterations=(2000, 300),
                    sample_seconds=0.3, similar_rows=50_000),
    "quick": dict(seconds=0.5, rounds=3, warmup=0.2, iterations=(400, 60),
                  sample_seconds=0.05, similar_rows=10_000),
}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="short rounds, 10,000-row search (~1 min in all)")
    p.add_argument("--seconds", type=float, help="length of one measured round")
    p.add_argument("--rounds", type=int, help="rounds per figure (the best is shown)")
    p.add_argument("--threads", type=int, default=8, help="client threads (connections)")
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help="comma-separated: sqlite,postgresql")
    p.add_argument("--log-level", default="WARNING",
                   help="JANUS_LOG_LEVEL for the servers (INFO also measures access logging)")
    p.add_argument("--sections", default=",".join(SECTIONS),
                   help="comma-separated: http,imaging,similarity")
    p.add_argument("--similar-rows", type=int, metavar="N",
                   help="images in the near-duplicate search databases")
    p.add_argument("--json", metavar="PATH", help="write the raw figures to PATH")
    args = p.parse_args(argv)
    plan = dict(PROFILES["quick" if args.quick else "default"], threads=args.threads)
    if args.seconds:
        plan["seconds"] = args.seconds
    if args.rounds:
        plan["rounds"] = args.rounds
    if args.similar_rows:
        plan["similar_rows"] = args.similar_rows
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    if set(args.sections) - set(SECTIONS):
        p.error(f"unknown section(s): {', '.join(sorted(set(args.sections) - set(SECTIONS)))}")
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - set(BACKENDS)
    if unknown:
        p.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    return args, plan


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # unwinds the with-blocks: servers and databases go


def server_env(args) -> dict:
    """The environment every gunicorn gets (JANUS_BIND is added per server)."""
    env = dict(os.environ, JANUS_LOG_LEVEL=args.log_level)
    for name in ("DATABASE_URL", "JANUS_BIND"):
        env.pop(name, None)
    return env


def run(args, plan, env: dict, tmp: Path, stack: contextlib.ExitStack) -> dict:
    """In-process sections first (no server running beside them), then HTTP."""
    result = {"targets": [], "connections": {}, "skipped": {}, "logs": {}, "datasets": {},
              "imaging": None, "similarity": {}}
    if "imaging" in args.sections:
        result["imaging"] = imaging.measure(plan["rounds"], plan["sample_seconds"])
    if "similarity" in args.sections:
        result["similarity"], skipped = similarity.measure(
            args.backends, tmp, plan["similar_rows"], plan["rounds"], plan["sample_seconds"])
        result["skipped"].update(skipped)
    if "http" in args.sections:
        http = run_http(args, plan, env, tmp, stack)
        result["skipped"].update(http.pop("skipped"))
        result.update(http)
    return result


def run_http(args, plan, env: dict, tmp: Path, stack: contextlib.ExitStack) -> dict:
    skipped, micro, datasets = {}, {}, {}
    for backend in args.backends:
        try:
            url = stack.enter_context(dataset.sqlite_url(tmp) if backend == "sqlite"
                                      else dataset.postgres_url())
        except dataset.Unavailable as exc:
            skipped[backend] = str(exc)
            print(f"  {backend}: {exc} -- skipped", file=sys.stderr)
            continue
        print(f"  {backend}: migrating and filling {url}", file=sys.stderr)
        datasets[backend] = dataset.prepare(url)
        print(f"  {backend}: connection micro-benchmark", file=sys.stderr)
        iterations = plan["iterations"][BACKENDS.index(backend)]
        micro[backend] = connections.measure(url, iterations, plan["rounds"])

    servers = [stack.enter_context(Server("baseline", "bench.baseline:app", env, tmp, "/"))]
    targets = [runner.Target("baseline", "health", "bare WSGI", servers[0].port,
                             runner.requests_for("health", plan["threads"], None))]
    for backend, ds in datasets.items():
        janus_env = dict(env, DATABASE_URL=ds.url, JANUS_STORAGE_DIR=str(tmp / "storage"))
        janus = stack.enter_context(Server(f"janus-{backend}", "app:app", janus_env, tmp,
                                           "/health"))
        nopool = stack.enter_context(Server(f"janus-{backend}-nopool", "bench.nopool:app",
                                            janus_env, tmp, "/health"))
        servers += [janus, nopool]
        for scenario in runner.SCENARIOS:
            targets.append(runner.Target(backend, scenario, "pooled", janus.port,
                                         runner.requests_for(scenario, plan["threads"], ds)))
        targets.append(runner.Target(backend, "health", "no pool", nopool.port,
                                     runner.requests_for("health", plan["threads"], ds)))
    # Runs first on the way out: every server gets SIGTERM at once, then each
    # Server.stop() waits for its own (and SIGKILLs a straggler).
    stack.callback(lambda: [server.terminate() for server in servers])
    for server in servers:
        server.wait_ready()
    print(f"  {len(servers)} gunicorn servers up; measuring {len(targets)} figures",
          file=sys.stderr)
    runner.measure(targets, plan["rounds"], plan["seconds"], plan["warmup"])
    logs = {}
    for server in servers:
        with open(server.log_path, errors="replace") as lines:
            logs[server.name] = report.log_summary(lines)
    return {"targets": [t.summary() for t in targets], "connections": micro,
            "skipped": skipped, "logs": logs,
            "datasets": {b: ds.counts for b, ds in datasets.items()}}


def main(argv=None) -> int:
    args, plan = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    command = " ".join([Path(sys.executable).name, "-m", "bench",
                        *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    env = server_env(args)
    try:
        settings = gunicorn_settings(env)
    except Exception as exc:  # the project's gunicorn.conf.py rejects this environment
        print(f"bench: gunicorn.conf.py fails under this environment: {exc!r}", file=sys.stderr)
        return 2
    pg_version = dataset.postgres_version() if "postgresql" in args.backends else None
    info = report.machine(pg_version)
    try:
        with tempfile.TemporaryDirectory(prefix="janus-bench-") as tmp, \
                contextlib.ExitStack() as stack:
            print("janus bench: setting up", file=sys.stderr)
            result = run(args, plan, env, Path(tmp), stack)
            print("  stopping servers, removing databases", file=sys.stderr)
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, temporary databases removed", file=sys.stderr)
        return 130
    except SystemExit:
        print("\nterminated: servers stopped, temporary databases removed", file=sys.stderr)
        raise
    except ServerError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1

    info["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    env_note = ", ".join(f"{name}={env.get(name, '(default)')}" for name in
                         ("JANUS_LOG_LEVEL", "JANUS_WORKERS", "JANUS_THREADS",
                          "JANUS_DB_POOL_SIZE"))
    counts = next(iter(result["datasets"].values()), {})
    data_note = (", ".join(f"{n} {name}" for name, n in counts.items())
                 + " per backend (images with random phashes); one bearer token per user, "
                 "client threads take them in turn") if counts else "-"
    print()
    report.header(command, info, settings, plan, env_note, data_note, "http" in args.sections)
    if "http" in args.sections:
        print("HTTP (req/s: higher is better; x baseline = req/s / bare WSGI app req/s)")
        report.http_table(result["targets"])
    if result["connections"]:
        print("connect + SELECT 1 + close, in-process, best of "
              f"{plan['rounds']} rounds (lower us/op is better; spread = (worst - best) / best)")
        report.connections_table(result["connections"])
    if result["imaging"]:
        im = result["imaging"]
        print(f"Imaging, in-process, one core: a {im['size'][0]}x{im['size'][1]} synthetic "
              f"photo (seed {im['seed']}), best of {plan['rounds']} rounds (lower ms/op is "
              "better; x decode = ms / ms of Pillow's full decode of the same bytes)")
        imaging.print_table(im)
    if result["similarity"]:
        rows = next(iter(result["similarity"].values()))["rows"]
        print(f"Near-duplicate search, in-process: {rows:,} images with random phashes over "
              f"{similarity.N_OWNERS} owners, a probe, {len(similarity.PLANTED)} planted near-"
              f"duplicates (0..8 bits) and {len(similarity.DECOYS)} decoys (11, 12 bits); "
              f"similar(max_distance={similarity.MAX_DISTANCE}, limit={similarity.LIMIT}), "
              f"best of {plan['rounds']} rounds (lower ms is better; x scan = ms / ms of "
              "COUNT(*) over the same rows)")
        similarity.print_table(result["similarity"])
    report.notes(result["targets"], result["skipped"], result["logs"],
                 similarity.notes(result["similarity"]))
    if args.json:
        report.write_json(args.json, {
            "command": command, "machine": info, "gunicorn": settings, "plan": plan,
            "sections": args.sections,
            "datasets": result["datasets"], "skipped": result["skipped"],
            "server_logs": result["logs"],
            "http": result["targets"], "connections": result["connections"],
            "imaging": result["imaging"], "similarity": result["similarity"]})
        print(f"\nraw figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
