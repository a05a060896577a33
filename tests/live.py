"""A real gunicorn (the project's gunicorn.conf.py, 2 workers x 4 threads)
over a fresh migrated database, for the concurrency and crash tests, and a
small thread-safe HTTP client (http.client, one connection per request).
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.memory import worker_pids
from tests.helpers import PROJECT_ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")
START_DEADLINE = 60  # seconds; only a server that never starts reaches it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def send(port: int, method: str, path: str, token: str | None = None, body=None,
         raw: bytes | None = None, content_type: str | None = None, timeout: float = 60,
         headers: dict | None = None):
    """(status, decoded JSON or None). ``body`` is sent as JSON, ``raw`` as is."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
        raw = json.dumps(body).encode()
    elif content_type:
        headers["Content-Type"] = content_type
    try:
        conn.request(method, path, body=raw, headers=headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    try:
        decoded = json.loads(data) if data else None
    except ValueError:
        decoded = None
    return response.status, decoded


def multipart_image(data: bytes, filename: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Gunicorn:
    """``gunicorn app:app`` on a free port; start() waits for /health."""

    def __init__(self, url: str, storage: Path, log_path: Path, **env):
        self.port = free_port()
        self.log_path = log_path
        self.env = {**os.environ, "DATABASE_URL": url, "JANUS_BIND": f"127.0.0.1:{self.port}",
                    "JANUS_WORKERS": "2", "JANUS_THREADS": "4", "JANUS_LOG_LEVEL": "WARNING",
                    "JANUS_STORAGE_DIR": str(storage),
                    # the rate-limit file (janus.ratelimit_store) of this server alone
                    "JANUS_DATA_DIR": str(Path(log_path).parent / "data"),
                    # stop() should not wait out idle keep-alive clients
                    "JANUS_GRACEFUL_TIMEOUT": "3",
                    # cheap argon2, as in the rest of the suite
                    "JANUS_ARGON2_TIME_COST": "1", "JANUS_ARGON2_MEMORY_KIB": "8",
                    # the load tests measure writes, not the per-address limits
                    "JANUS_RATE_LIMIT_LOGIN": "", "JANUS_RATE_LIMIT_REGISTER": "",
                    "JANUS_RATE_LIMIT_UPLOAD": "", "JANUS_RATE_LIMIT_ANALYSIS": "",
                    **{key: str(value) for key, value in env.items()}}
        self.proc: subprocess.Popen | None = None

    def start(self) -> Gunicorn:
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen([str(GUNICORN), "app:app"], cwd=PROJECT_ROOT,
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + START_DEADLINE
        while True:
            try:
                if send(self.port, "GET", "/health", timeout=5)[0] == 200:
                    return self
            except OSError:
                pass
            assert self.proc.poll() is None, self.log()
            assert time.monotonic() < deadline, "gunicorn did not start\n" + self.log()
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text()[-5000:]

    def worker_pids(self) -> list[int]:
        return worker_pids(self.proc.pid)

    def kill_everything(self) -> None:
        """SIGKILL the master and its workers (their process group): a crash."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill_everything()
        # a worker orphaned by a killed master
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
