"""Run an app under gunicorn with the project's own gunicorn.conf.py.

Every server gets a free port on 127.0.0.1 (through JANUS_BIND) and otherwise
the same environment, so JANUS_WORKERS / JANUS_THREADS / ... apply to the
baseline and to Janus alike. gunicorn runs in a session of its own, writes
its log to a file in the bench's temp directory, and is stopped (the whole
process group, SIGKILL if SIGTERM is not enough) when the ``with`` ends,
whatever ended it.
"""
from __future__ import annotations

import contextlib
import http.client
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONF = PROJECT_ROOT / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).parent / "gunicorn"
SETTINGS = ("bind", "workers", "threads", "worker_class", "reuse_port", "timeout",
            "graceful_timeout", "keepalive", "max_requests", "max_requests_jitter", "loglevel",
            "accesslog", "control_socket_disable", "control_socket")


def server_env(log_level: str | None = None) -> dict:
    """The environment everything measured gets (JANUS_BIND is added per server)."""
    env = dict(os.environ)
    if log_level:
        env["JANUS_LOG_LEVEL"] = log_level
    for name in ("DATABASE_URL", "JANUS_BIND"):
        env.pop(name, None)
    return env


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_settings(env: dict) -> dict:
    """What gunicorn.conf.py evaluates to under ``env``."""
    with mock.patch.dict(os.environ, env, clear=True):
        namespace = runpy.run_path(str(CONF))
    return {key: namespace[key] for key in SETTINGS if key in namespace}


class Server:
    def __init__(self, name: str, app: str, env: dict, log_dir: Path, ready_path: str,
                 args: tuple = ()):
        """``args``: extra gunicorn options (e.g. ``-k sync``), which override the
        configuration file's."""
        self.name, self.app, self.ready_path, self.args = name, app, ready_path, tuple(args)
        self.port = free_port()
        self.env = dict(env, JANUS_BIND=f"127.0.0.1:{self.port}")
        self.log_path = log_dir / f"gunicorn-{name}.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        """Start gunicorn (without waiting: several servers can boot at once)."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [str(GUNICORN), "-c", str(CONF), *self.args, self.app], cwd=PROJECT_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"gunicorn ({self.name}) exited with {self.proc.returncode}:\n"
                                  f"{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", self.ready_path)
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise ServerError(f"gunicorn ({self.name}) not ready after {timeout:.0f} s:\n"
                          f"{self.log_tail()}")

    def terminate(self) -> None:
        """Ask gunicorn to stop without waiting (so several stop in parallel)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)  # the session gunicorn leads: master + workers
                proc.wait(wait)
                break
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):  # a worker the master left behind
            os.killpg(proc.pid, signal.SIGKILL)
