"""Two hosts behind haproxy against one host behind the same haproxy, in the
same rounds (the ``fleet`` section of ``make bench``), and haproxy itself.

Both "hosts" are Janus servers (the project's gunicorn.conf.py, its default
workers and threads each) on this machine, on the PostgreSQL dataset, with
their own ports on 127.0.0.1; haproxy runs docs/deploy/haproxy.cfg as shipped
(the file tests/fleet/ runs), its addresses in its environment. "One host"
is the same file with both server lines on host A. On one machine of 2
cores, two hosts share the cores one host had: the ratio measures what the
proxy and a second host's processes cost, not scaling (which needs a
second machine).
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench import runner
from bench.server import PROJECT_ROOT, Server, free_port
from bench.tables import num, table

HAPROXY_CONFIG = PROJECT_ROOT / "docs/deploy/haproxy.cfg"
SCENARIO = "user_get"
VARIANTS = ("1 host, direct", "1 host via haproxy", "2 hosts via haproxy")


def haproxy_path() -> str | None:
    return shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)


def die_with_parent() -> None:
    """In a child: SIGTERM when its parent dies, so no haproxy outlives a killed run."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def wait_for_port(host: str, port: int, deadline: float = 20) -> None:
    end = time.monotonic() + deadline
    while True:
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex((host, port)) == 0:
                return
        if time.monotonic() > end:
            raise RuntimeError(f"nothing listens on {host}:{port}")
        time.sleep(0.05)


def start_haproxy(config: Path, env: dict, log: Path) -> subprocess.Popen:
    """haproxy in the foreground (``-db``) with ``config`` checked first; the
    addresses come from ``env`` (haproxy reads ``"${VAR}"`` itself)."""
    haproxy = haproxy_path()
    full_env = {**os.environ, **env}
    check = subprocess.run([haproxy, "-c", "-q", "-f", str(config)], capture_output=True,
                           text=True, env=full_env, timeout=30)
    if check.returncode:
        raise RuntimeError(f"haproxy -c {config}: {check.stdout}{check.stderr}")
    with open(log, "ab") as out:
        proc = subprocess.Popen([haproxy, "-db", "-f", str(config)], env=full_env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=die_with_parent)
    host, port = env["JANUS_LISTEN"].rsplit(":", 1)
    wait_for_port(host, int(port))
    return proc


def stop_process(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def measure(env: dict, tmp: Path, plan: dict, ds, stack) -> dict:
    """{"targets": [summary per variant]} or {"skipped": why}."""
    if haproxy_path() is None:
        return {"skipped": "haproxy not installed (apt-get install haproxy)"}
    host_env = dict(env, DATABASE_URL=ds.url, JANUS_STORAGE_DIR=str(tmp / "fleet-storage"),
                    JANUS_TRUSTED_PROXIES="127.0.0.1")
    hosts = [stack.enter_context(Server(f"fleet-{name}", "app:app", host_env, tmp, "/health"))
             for name in "ab"]
    for host in hosts:
        host.wait_ready()
    a, b = (f"127.0.0.1:{host.port}" for host in hosts)
    proxies = {}
    for name, (first, second) in (("one", (a, a)), ("two", (a, b))):
        listen = f"127.0.0.1:{free_port()}"
        proc = start_haproxy(HAPROXY_CONFIG, {"JANUS_LISTEN": listen, "JANUS_HOST_A": first,
                                              "JANUS_HOST_B": second},
                             tmp / f"haproxy-{name}.log")
        stack.callback(stop_process, proc)
        proxies[name] = int(listen.rsplit(":", 1)[1])
    print(f"  fleet: 2 hosts and 2 haproxies up; measuring {len(VARIANTS)} figures",
          file=sys.stderr, flush=True)
    requests = runner.requests_for(SCENARIO, plan["threads"], ds)
    targets = [runner.Target("postgresql", SCENARIO, variant, port, requests)
               for variant, port in zip(VARIANTS, (hosts[0].port, proxies["one"],
                                                   proxies["two"]), strict=True)]
    runner.measure(targets, plan["rounds"], plan["seconds"], plan["warmup"])
    for host in hosts:
        host.terminate()
    return {"targets": [target.summary() for target in targets]}


def ratio(result: dict) -> float | None:
    """Two hosts / one host via haproxy: median over rounds of the per-round ratio."""
    by_variant = {t["variant"]: t for t in result.get("targets", [])}
    one, two = by_variant.get(VARIANTS[1]), by_variant.get(VARIANTS[2])
    if not one or not two:
        return None
    ratios = sorted(r2["rps"] / r1["rps"] for r1, r2 in zip(one["rounds"], two["rounds"],
                                                              strict=True) if r1["rps"])
    return ratios[len(ratios) // 2] if ratios else None


def print_table(result: dict) -> None:
    if "skipped" in result:
        print(f"several hosts: skipped ({result['skipped']})\n")
        return
    targets = result["targets"]
    direct = targets[0]["rps_median"] or None
    rows = [(t["variant"], num(t["rps_median"], 0), num(t["rps_min"], 0),
             f"{t['spread'] * 100:.0f}%", num(t["p50_ms"], 2), num(t["p99_ms"], 2),
             num(t["rps_median"] / direct, 2) if direct else "-", str(t["errors"]))
            for t in targets]
    print(f"several hosts: {runner.SCENARIOS[SCENARIO]} on PostgreSQL through haproxy "
          "(docs/deploy/haproxy.cfg), both hosts on this machine (req/s: median and worst "
          "round)")
    table(("variant", "req/s", "worst", "spread", "p50 ms", "p99 ms", "x direct", "errors"),
           rows, right_from=1)
    two_over_one = ratio(result)
    print(f"two hosts / one host behind the same haproxy: {num(two_over_one, 2)} (median "
          f"of per-round ratios); on {os.cpu_count()} cores both hosts share the machine, so "
          "this is haproxy's and a second host's overhead, not scaling")
    print()
