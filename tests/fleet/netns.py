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
import ctypes
import dataclasses
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

PREFIX = "janus-fleet-"  # namespace names: janus-fleet-<pytest pid>-<index>
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
SOCAT = shutil.which("socat")
IP = shutil.which("ip") or "/usr/sbin/ip"


def _die_with_parent() -> None:
    """In a child: SIGTERM when the test run dies (a killed pytest runs no
    teardown), so no forwarder, proxy or server outlives it."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def ip(*args: str, netns: str | None = None) -> str:
    command = [IP, *args] if netns is None else [IP, "netns", "exec", netns, IP, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")
    return done.stdout


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


def forward(listen_ip: str, port: int, log: Path) -> subprocess.Popen:
    """``listen_ip:port`` on the machine, forwarded to ``127.0.0.1:port``."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [SOCAT, f"TCP-LISTEN:{port},bind={listen_ip},fork,reuseaddr",
             f"TCP:127.0.0.1:{port}"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent)
    wait_for_port(listen_ip, port)
    return proc


def start_haproxy(config: Path, env: dict, log: Path) -> subprocess.Popen:
    """haproxy in the foreground (``-db``) with ``config`` as shipped; its
    addresses come from ``env`` (haproxy reads ``"${VAR}"`` itself)."""
    check = subprocess.run([HAPROXY, "-c", "-q", "-f", str(config)], capture_output=True,
                           text=True, env={**os.environ, **env}, timeout=30)
    if check.returncode:
        raise RuntimeError(f"haproxy -c {config}: {check.stdout}{check.stderr}")
    with open(log, "ab") as out:
        proc = subprocess.Popen([HAPROXY, "-db", "-f", str(config)], env={**os.environ, **env},
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent)
    host, port = env["JANUS_LISTEN"].rsplit(":", 1)
    wait_for_port(host, int(port))
    return proc


def stop(proc: subprocess.Popen | None) -> None:
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
