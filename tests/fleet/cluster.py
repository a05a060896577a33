"""Two Janus hosts (``janus-serve`` in two network namespaces, tests/fleet/netns.py)
on one PostgreSQL database, one Redis and one S3 bucket, behind haproxy with
docs/deploy/haproxy.cfg as shipped: the setup docs/deployment.md describes.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from bench.fleet import start_haproxy, stop_process
from tests import storage
from tests.fleet import netns
from tests.helpers import PROJECT_ROOT
from tests.live import free_port

JANUS_SERVE = Path(sys.executable).with_name("janus-serve")
HAPROXY_CONFIG = PROJECT_ROOT / "docs/deploy/haproxy.cfg"
REDIS_URL = os.environ.get("JANUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
START_DEADLINE = 60  # seconds; only a host that never starts reaches it
# One secret for every host: idempotency fingerprints must match across them.
SECRET_KEY = "fleet-test-secret-" + "k" * 32
HOST_PORT = 8000


def call(address: str, method: str, path: str, token: str | None = None, body=None,
         raw: bytes | None = None, content_type: str | None = None,
         headers: dict | None = None, timeout: float = 30):
    """(status, headers, JSON or text) from ``address`` ("host:port")."""
    host, port = address.rsplit(":", 1)
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
        raw = json.dumps(body).encode()
    elif content_type:
        headers["Content-Type"] = content_type
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(method, path, body=raw, headers=headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    try:
        decoded = json.loads(data) if data else None
    except ValueError:
        decoded = data.decode(errors="replace")
    return response.status, response.headers, decoded


def with_host(url: str, host: str) -> str:
    """``url`` with its host (not its port) replaced by ``host``."""
    parts = urlsplit(url)
    netloc = parts.netloc.replace(parts.hostname, host, 1)
    return parts._replace(netloc=netloc).geturl()


def shared_env(database_url: str, machine_ip: str, storage_url: str, s3_env: dict,
               s3_port: int, proxies: str, public_address: str) -> dict:
    """The variables every host sets alike (docs/deployment.md, "Several
    hosts"), each service reached at the machine-side address of the host's
    namespace (``machine_ip``, forwarded to 127.0.0.1)."""
    return {
        "DATABASE_URL": with_host(database_url, machine_ip),
        "JANUS_STORAGE_URL": storage_url,
        **s3_env, "AWS_ENDPOINT_URL": f"http://{machine_ip}:{s3_port}",
        "JANUS_RATE_LIMIT_STORAGE": with_host(REDIS_URL, machine_ip),
        "JANUS_SECRET_KEY": SECRET_KEY,
        "JANUS_TRUSTED_PROXIES": proxies,
        "JANUS_PUBLIC_URL": f"http://{public_address}",
        "JANUS_COOKIE_SECURE": "false",  # plain HTTP here; true behind TLS
    }


class Host:
    """One host: ``janus-serve`` inside its namespace, 2 workers x 4 threads."""

    def __init__(self, name: str, ns: netns.Namespace, env: dict, folder: Path):
        self.name, self.ns, self.folder = name, ns, folder
        self.address = f"{ns.host_ip}:{HOST_PORT}"
        self.env = {**os.environ, **env, "JANUS_BIND": self.address,
                    "JANUS_DATA_DIR": str(folder / "data")}
        self.log_path = folder / "janus-serve.log"
        # gunicorn's access log: which host served what (one line a request)
        self.access_log = folder / "access.log"
        self.env["JANUS_ACCESS_LOG"] = str(self.access_log)
        self.proc: subprocess.Popen | None = None

    def start(self, **extra) -> Host:
        env = {**self.env, **{key: str(value) for key, value in extra.items()}}
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [netns.IP, "netns", "exec", self.ns.name, str(JANUS_SERVE)], cwd=self.folder,
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=netns.die_with_parent)
        deadline = time.monotonic() + START_DEADLINE
        while True:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if call(self.address, "GET", "/health", timeout=5)[0] == 200:
                    return self
            assert self.proc.poll() is None, self.log()
            assert time.monotonic() < deadline, f"host {self.name} did not start\n{self.log()}"
            time.sleep(0.1)

    def served(self) -> int:
        """Requests this host has answered so far (its access log's lines)."""
        if not self.access_log.exists():
            return 0
        return self.access_log.read_bytes().count(b"\n")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def kill_everything(self) -> None:
        """SIGKILL the master and its workers (their process group): the host dies."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while True:  # every worker gone too (SIGKILL is not instant)
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            assert time.monotonic() < deadline, f"host {self.name}: a worker survived SIGKILL"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=30)
        self.kill_everything()  # and any worker a killed master left


class Fleet:
    """Namespaces, forwarders, the S3 server, two hosts and haproxy."""

    def __init__(self, database_url: str, folder: Path):
        self.database_url, self.folder = database_url, folder
        self.namespaces: list[netns.Namespace] = []
        self.forwarders: list[subprocess.Popen] = []
        self.hosts: list[Host] = []
        self.haproxy: subprocess.Popen | None = None
        self.s3: storage.S3Server | None = None
        self.address = f"127.0.0.1:{free_port()}"  # haproxy: where clients connect
        self.storage_url = ""

    def start(self, **host_env) -> Fleet:
        netns.remove_stale()
        self.s3 = storage.start_s3_server(self.folder / "s3" / "root")
        self.storage_url = self.s3.new_url()
        self.namespaces = netns.make_namespaces(2)
        database, redis = urlsplit(self.database_url), urlsplit(REDIS_URL)
        proxies = ",".join(ns.machine_ip for ns in self.namespaces)
        for ns, name in zip(self.namespaces, "ab", strict=True):
            for port in (database.port or 5432, redis.port or 6379, self.s3.port):
                self.forwarders.append(netns.forward(ns.machine_ip, port,
                                                     self.folder / "socat.log"))
            env = {**shared_env(self.database_url, ns.machine_ip, self.storage_url,
                                self.s3.env(), self.s3.port, proxies, self.address),
                   # the test's own: small hosts, quiet logs, a quick stop, cheap
                   # argon2 (as in the rest of the suite)
                   "JANUS_WORKERS": "2", "JANUS_THREADS": "4", "JANUS_LOG_LEVEL": "WARNING",
                   "JANUS_GRACEFUL_TIMEOUT": "3",
                   "JANUS_ARGON2_TIME_COST": "1", "JANUS_ARGON2_MEMORY_KIB": "8",
                   **{key: str(value) for key, value in host_env.items()}}
            self.hosts.append(Host(name, ns, env, self.folder / f"host-{name}"))
        for host in self.hosts:
            host.start()
        self.haproxy = start_haproxy(HAPROXY_CONFIG, {
            "JANUS_LISTEN": self.address, "JANUS_HOST_A": self.hosts[0].address,
            "JANUS_HOST_B": self.hosts[1].address}, self.folder / "haproxy.log")
        self.wait_balanced()
        return self

    def wait_balanced(self, deadline: float = 20) -> None:
        """Until haproxy answers /health (it starts with every host up, and its
        checks, once a second, take a dead one out after two failures)."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if call(self.address, "GET", "/health", timeout=5)[0] == 200:
                    return
            assert self.haproxy.poll() is None, "haproxy stopped"
            time.sleep(0.1)
        raise RuntimeError("haproxy does not answer /health")

    def bucket_dir(self) -> Path:
        """The folder rclone serves the fleet's bucket prefix from."""
        location = storage.S3Location.parse(self.storage_url)
        return self.s3.root / location.bucket / location.prefix

    def stop(self) -> None:
        for host in self.hosts:
            host.stop()
        stop_process(self.haproxy)
        for proc in self.forwarders:
            stop_process(proc)
        netns.remove_namespaces(self.namespaces)
        if self.s3 is not None:
            storage.stop_s3_server(self.s3)


def unique_address() -> str:
    """A client address no other test (or run) uses, from 198.18.0.0/15."""
    value = uuid.uuid4().int
    return f"198.{18 + value % 2}.{value // 2 % 256}.{value // 512 % 254 + 1}"
