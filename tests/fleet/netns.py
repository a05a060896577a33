"""The plumbing of the several-hosts test: network namespaces as hosts, the
local services forwarded to them, and haproxy in front.

Each host is a network namespace (``ip netns``) joined to the machine by a
veth pair: the machine's end has ``10.251.N.1`` (N picked free per run), the
namespace's end ``10.251.N.2``, where that host's gunicorn binds. PostgreSQL,
Redis and the S3 server listen on 127.0.0.1 only, which a namespace cannot
reach (it has its own loopback), so a ``socat`` on the machine listens on
each host's machine-side address and forwards to 127.0.0.1: from inside the
namespace PostgreSQL is ``10.251.N.1:5432``, as it would be at another
machine's address. haproxy runs on the machine and reaches the hosts over
the veth pairs; so its connections, and the test's own direct requests to a
host, come from the machine-side address, which the hosts trust as a proxy
(``JANUS_TRUSTED_PROXIES``).

Needs root, ``ip netns``, socat and haproxy: without them the test skips,
except under CI (``CI`` set), where it fails (.ci/run installs them).
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.fleet import die_with_parent, haproxy_path, wait_for_port

PREFIX = "janus-fleet-"  # namespace names: janus-fleet-<pytest pid>-<index>
HAPROXY = haproxy_path()
SOCAT = shutil.which("socat")
IP = shutil.which("ip") or "/usr/sbin/ip"


def ip(*args: str, netns: str | None = None) -> str:
    command = [IP, *args] if netns is None else [IP, "netns", "exec", netns, IP, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")
    return done.stdout


def require() -> None:
    """Skip the test when the namespaces cannot be made here; under CI
    (``CI`` set) fail instead: CI must run it."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"the several-hosts test cannot run: {reason} (.ci/run installs haproxy "
                    "and socat; it needs root)", pytrace=False)
    pytest.skip(f"the several-hosts test needs root, ip netns, haproxy and socat: {reason}")


def missing() -> str | None:
    """Why the namespaces cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "not root"
    for tool, path in (("ip", IP), ("haproxy", HAPROXY), ("socat", SOCAT)):
        if not path or not os.access(path, os.X_OK):
            return f"{tool} not installed"
    probe = f"{PREFIX}{os.getpid()}-probe"
    try:
        ip("netns", "add", probe)
    except (RuntimeError, OSError) as exc:
        return f"ip netns add fails: {exc}"
    ip("netns", "del", probe)
    return None


def remove_stale() -> None:
    """Namespaces left by a killed run (their pytest is gone)."""
    for line in ip("netns", "list").splitlines():
        name = line.split()[0] if line.strip() else ""
        if not name.startswith(PREFIX):
            continue
        pid = name.removeprefix(PREFIX).split("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            with contextlib.suppress(RuntimeError):
                ip("netns", "del", name)


def _free_subnet() -> int:
    used = ip("-4", "addr")
    candidates = [n for n in range(0, 256, 2) if f"10.251.{n}." not in used
                  and f"10.251.{n + 1}." not in used]
    if not candidates:
        raise RuntimeError("no free 10.251.N.0/24 subnet for the namespaces")
    return random.choice(candidates)


@dataclasses.dataclass
class Namespace:
    name: str
    machine_ip: str  # the machine's end: haproxy and the forwarders
    host_ip: str     # the namespace's end: the host's gunicorn binds here
    veth: str


def make_namespaces(count: int) -> list[Namespace]:
    base, made = _free_subnet(), []
    try:
        for index in range(count):
            third = base + index
            ns = Namespace(f"{PREFIX}{os.getpid()}-{index}", f"10.251.{third}.1",
                           f"10.251.{third}.2", f"jf{os.getpid() % 100000}x{index}")
            ip("netns", "add", ns.name)
            made.append(ns)
            inner = ns.veth + "n"
            ip("link", "add", ns.veth, "type", "veth", "peer", "name", inner)
            ip("link", "set", inner, "netns", ns.name)
            ip("addr", "add", f"{ns.machine_ip}/24", "dev", ns.veth)
            ip("link", "set", ns.veth, "up")
            ip("addr", "add", f"{ns.host_ip}/24", "dev", inner, netns=ns.name)
            ip("link", "set", inner, "up", netns=ns.name)
            ip("link", "set", "lo", "up", netns=ns.name)
    except Exception:
        remove_namespaces(made)
        raise
    return made


def remove_namespaces(namespaces: list[Namespace]) -> None:
    for ns in namespaces:
        with contextlib.suppress(RuntimeError):
            ip("netns", "del", ns.name)  # takes its veth end, and so the pair
        with contextlib.suppress(RuntimeError):
            ip("link", "del", ns.veth)


def forward(listen_ip: str, port: int, log: Path) -> subprocess.Popen:
    """``listen_ip:port`` on the machine, forwarded to ``127.0.0.1:port``."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [SOCAT, f"TCP-LISTEN:{port},bind={listen_ip},fork,reuseaddr",
             f"TCP:127.0.0.1:{port}"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=die_with_parent)
    wait_for_port(listen_ip, port)
    return proc
