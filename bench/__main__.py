"""``python -m bench``: every target of issue #9, as ratios to baselines timed
in the same run, in one table (printed, and written as JSON).

HTTP under gunicorn vs a bare WSGI app; Janus in-process vs GET /health;
million-row paging, summary and near-duplicate search vs plain SQL; imaging
vs a plain Pillow decode; uploads and downloads with an S3 bucket vs the
local disk; B1 over several fresh gunicorn starts with keep-alive clients;
gunicorn worker classes and thread counts; logins; two hosts behind haproxy
vs one host behind the same haproxy.
Janus runs in its DEFAULT configuration (what ``make serve`` runs, the JSON
access line included) unless the environment says otherwise.

See docs/benchmarks.md for what each figure means. Everything started here
(gunicorn servers, temporary SQLite files, PostgreSQL databases) is stopped
or removed on the way out, including after Ctrl-C or an error.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench import analysis_load, bigdata, dataset, imaging, report, served, similarity, storage
from bench.machine import machine
from bench.server import ServerError, gunicorn_settings, server_env

BACKENDS = ("sqlite", "postgresql")
SECTIONS = ("imaging", "storage", "similarity", "bigdata", "analysis", "http", "starts",
            "workers", "fleet")
DEFAULT_JSON = "bench.json"
# seconds, rounds, warm-up (HTTP); micro-benchmark iterations (sqlite, postgresql);
# sample_seconds: least time one in-process sample lasts; similar_rows: images
# in the near-duplicate search databases; scale: the big-data row counts;
# starts: fresh gunicorn starts of the starts section (keep-alive B1)
PROFILES = {
    "default": dict(seconds=3.0, rounds=3, warmup=1.0, iterations=(2000, 300),
                    sample_seconds=0.3, similar_rows=50_000, scale="default", starts=5),
    "quick": dict(seconds=0.5, rounds=3, warmup=0.2, iterations=(400, 60),
                  sample_seconds=0.05, similar_rows=10_000, scale="quick",
                  starts=5),
}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="short rounds, a tenth of the big-data rows (rougher figures)")
    p.add_argument("--seconds", type=float, help="length of one measured HTTP round")
    p.add_argument("--rounds", type=int, help="rounds per figure (medians are judged)")
    p.add_argument("--threads", type=int, default=8, help="client threads (connections)")
    p.add_argument("--starts", type=int,
                   help="fresh gunicorn starts of the starts section (default 5)")
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help="comma-separated: sqlite,postgresql")
    p.add_argument("--log-level", default=None,
                   help="JANUS_LOG_LEVEL for everything measured (default: the "
                        "environment's, else Janus's default INFO: access line on)")
    p.add_argument("--sections", default=",".join(SECTIONS),
                   help="comma-separated: " + ",".join(SECTIONS))
    p.add_argument("--similar-rows", type=int, metavar="N",
                   help="images in the near-duplicate search databases")
    p.add_argument("--json", metavar="PATH", default=DEFAULT_JSON,
                   help=f"where the targets and raw figures go (default {DEFAULT_JSON}; "
                        "'-' for none)")
    args = p.parse_args(argv)
    plan = dict(PROFILES["quick" if args.quick else "default"], threads=args.threads)
    for name in ("seconds", "rounds", "similar_rows", "starts"):
        if getattr(args, name) is not None:
            plan[name] = getattr(args, name)
    if plan["rounds"] < 1 or plan["threads"] < 1 or plan["starts"] < 1:
        p.error("--rounds, --threads and --starts must be at least 1")
    args.sections = _listed(p, args.sections, SECTIONS, "section")
    args.backends = _listed(p, args.backends, BACKENDS, "backend")
    return args, plan


def _listed(p, text: str, known: tuple, what: str) -> list[str]:
    items = [s.strip() for s in text.split(",") if s.strip()]
    unknown = sorted(set(items) - set(known))
    if unknown:
        p.error(f"unknown {what}(s): {', '.join(unknown)}")
    if not items:
        p.error(f"no {what} given")
    return [name for name in known if name in items]  # the order things run in


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # unwinds the with-blocks: servers and databases go


def run(args, plan, env: dict, tmp: Path, stack: contextlib.ExitStack) -> dict:
    """In-process sections first (no server running beside them), then HTTP."""
    result = {"skipped": {}, "imaging": None, "storage": None, "similarity": {},
              "bigdata": {}, "analysis": None}
    if "imaging" in args.sections:
        result["imaging"] = imaging.measure(plan["rounds"], plan["sample_seconds"])
    if "storage" in args.sections:
        result["storage"] = storage.measure(tmp, plan["rounds"], plan["sample_seconds"], stack)
    if "similarity" in args.sections:
        result["similarity"], skipped = similarity.measure(
            args.backends, tmp, plan["similar_rows"], plan["rounds"], plan["sample_seconds"])
        result["skipped"].update(skipped)
    if "bigdata" in args.sections:
        result["bigdata"], skipped = bigdata.measure(
            args.backends, tmp, bigdata.SCALES[plan["scale"]], plan["rounds"],
            plan["sample_seconds"])
        result["skipped"].update(skipped)
    if "analysis" in args.sections:  # its own server, alone on the machine
        result["analysis"] = analysis_load.measure(env, tmp / "analysis")
    if {"http", "starts", "workers", "fleet"} & set(args.sections):
        result.update(served.run(args, plan, env, tmp, stack))
        result["skipped"].update(result.pop("http_skipped"))
    return result


def main(argv=None) -> int:
    args, plan = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    command = " ".join([Path(sys.executable).name, "-m", "bench",
                        *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    env = server_env(args.log_level)
    if args.log_level:  # the in-process sections build their apps from os.environ
        os.environ["JANUS_LOG_LEVEL"] = args.log_level
    try:
        settings = gunicorn_settings(env)
    except Exception as exc:  # the project's gunicorn.conf.py rejects this environment
        print(f"bench: gunicorn.conf.py fails under this environment: {exc!r}", file=sys.stderr)
        return 2
    pg_version = dataset.postgres_version() if "postgresql" in args.backends else None
    info = machine(pg_version)
    began = time.perf_counter()
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
    info["seconds"] = round(time.perf_counter() - began, 1)
    rows = report.everything(command, info, settings, plan, env, args, result)
    if args.json != "-":
        report.write_json(args.json, {
            "command": command, "machine": info, "gunicorn": settings, "plan": plan,
            "sections": args.sections, "targets": rows, **result})
        print(f"\ntargets and raw figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
