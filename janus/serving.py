"""gunicorn's settings for Janus, every one overridable from the environment:
the one place both ``gunicorn.conf.py`` (``gunicorn app:app`` in a checkout)
and ``janus-serve`` (janus.serve, from any directory) take them from.

Defaults: two gthread workers per usable CPU core, at most 8, with 8
threads each (4 x 8 on a 2-core server), chosen by ``make bench`` (its
workers x class x threads table; docs/benchmark-results.md). Threads share
the worker's connection pool (JANUS_DB_POOL_SIZE, default 8: keep it >=
JANUS_THREADS), so a request reuses a database connection instead of opening
one.
"""
from __future__ import annotations

import errno
import gc
import os
import socket
import sys

from janus import in_use, listeners, secret_key
from janus.config import DEFAULT_BIND, Config, ConfigError
from janus.config import _bool as env_bool
from janus.db import DatabaseURLError, make_database, sqlite_path


def stop(message: str) -> None:
    """One line on stderr and a non-zero exit, before any worker boots."""
    print(f"janus: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def _int(name: str, default: str) -> int:
    raw = os.environ.get(name, default)
    try:
        return int(raw)
    except ValueError:
        stop(f"{name} must be an integer, got {raw!r}")


def _bool(name: str, default: bool) -> bool:
    try:
        return env_bool(os.environ, name, default)
    except ConfigError as exc:
        stop(str(exc))


def default_workers() -> int:
    """Two per CPU core this process may run on, at least 2 and at most 8.
    Measured on 2 cores, 4 workers served more Janus requests than 2 at the
    same CPU per request: with 2, the cores were not kept busy (likely
    because a worker serves nothing while its GIL-holding thread is
    descheduled). The cap bounds memory (one app per worker) and PostgreSQL
    connections (workers x JANUS_DB_POOL_SIZE per host). A container's CPU
    quota is not seen here: set JANUS_WORKERS there."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(2, min(8, 2 * cores))


def check_config() -> None:
    """Every setting checked before gunicorn starts, so a mistake is one line
    naming the variable instead of a traceback from each worker. Nothing
    connects yet. The secret key too: unset, it is generated here, before any
    worker reads it (janus.secret_key)."""
    try:
        config = Config.from_env()
        make_database(config.database_url, pool_size=1)
        secret_key.resolve(config.secret_key, config.data_dir)
    except (ConfigError, secret_key.SecretKeyError) as exc:
        stop(str(exc))
    except DatabaseURLError as exc:  # its messages do not all name the variable
        stop(f"DATABASE_URL: {exc}")
    except OSError as exc:  # it makes a SQLite file's folder: under a file, say
        stop(f"DATABASE_URL: cannot create the SQLite database's folder {exc.filename} "
             f"({exc.strerror.lower()})")


def _check_bind(server) -> None:
    """Before gunicorn binds: an address already in use is one line naming
    JANUS_BIND, not five "Connection in use" retries. Skipped when the
    sockets are inherited (a USR2 upgrade, systemd socket activation): the
    address is then in use by design."""
    if server.LISTENERS or os.environ.get("GUNICORN_FD") or os.environ.get("LISTEN_FDS"):
        return
    for address in server.cfg.address:
        if not isinstance(address, tuple):  # a unix socket: gunicorn handles it
            continue
        host, port = address[0], address[1]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                shown = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
                in_use = exc.errno == errno.EADDRINUSE
                reason = "is in use" if in_use else f"cannot be bound ({exc.strerror})"
                stop(f"{shown} {reason}: set JANUS_BIND=host:port")


# GET /metrics sums every worker's values through files in one directory
# (prometheus-client's multiprocess mode). Set before any worker imports
# prometheus_client, so each worker writes there. Unless the operator named
# one, a fresh private directory is made at start and removed at exit; a named
# one is created if missing and emptied of a previous run's files (their
# counts would otherwise be added to this run's).
_made_metrics_dir = None


def _prepare_metrics_dir(server) -> None:
    global _made_metrics_dir
    import glob
    import tempfile

    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        path = _made_metrics_dir = tempfile.mkdtemp(prefix="janus-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    os.makedirs(path, mode=0o700, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)


def child_exit(server, worker):
    listeners.worker_exited(server, worker)
    # A dead worker's counters stay in the sum; its live-only values go.
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        import shutil
        shutil.rmtree(_made_metrics_dir, ignore_errors=True)


def _check_startup() -> None:
    """A store it cannot write, a database it cannot reach: one line naming
    the variable, before any worker boots (janus.startup)."""
    from janus.startup import StartupRefused, check
    try:
        check(Config.from_env())
    except StartupRefused as exc:
        stop(str(exc))


def _hold_database() -> None:
    """The master marks a SQLite database in use for its whole life (the
    workers inherit the lock), so that a restore refuses to replace it."""
    path = sqlite_path(Config.from_env().database_url)
    if path:
        try:
            in_use.hold_shared(path)
        except in_use.InUse as exc:
            stop(str(exc))


def _mail_notice() -> None:
    if Config.from_env().smtp is None:
        print("janus: JANUS_SMTP_URL is unset: mails are written to the log "
              "(development only)", file=sys.stderr, flush=True)


def on_starting(server) -> None:
    _check_bind(server)
    _check_startup()
    _hold_database()
    _prepare_metrics_dir(server)
    _mail_notice()


def post_worker_init(worker) -> None:
    # The worker's mail sender (janus.mail.sender) from boot, so its sweep
    # delivers what a killed worker left even before any new mail is written.
    from janus.mail import sender
    sender.start()
    # The app is built (gunicorn calls this after loading it): what exists now
    # lives as long as the worker, so the collector stops walking it. A full
    # collection otherwise walks those ~60,000 objects (about 45 ms of CPU
    # in-process, every ~20,000 requests); docs/benchmarks.md.
    gc.collect()
    gc.freeze()


def settings() -> dict:
    """gunicorn's settings by name, from the JANUS_* variables (each one in
    docs/configuration.md), hooks included; stops in one line on a bad value."""
    check_config()
    values = {
        "bind": os.environ.get("JANUS_BIND") or DEFAULT_BIND,
        "workers": _int("JANUS_WORKERS", str(default_workers())),
        "threads": _int("JANUS_THREADS", "8"),
        "worker_class": "gthread",
        "reuse_port": _bool("JANUS_REUSE_PORT", True),
        "timeout": _int("JANUS_TIMEOUT", "30"),
        "graceful_timeout": _int("JANUS_GRACEFUL_TIMEOUT", "20"),
        "keepalive": _int("JANUS_KEEPALIVE", "5"),
        # Restart workers now and then so a slow leak cannot grow without bound.
        "max_requests": _int("JANUS_MAX_REQUESTS", "10000"),
        "max_requests_jitter": _int("JANUS_MAX_REQUESTS_JITTER", "1000"),
        # Janus writes one JSON line per request itself; gunicorn's access log
        # would repeat it in another format.
        "accesslog": os.environ.get("JANUS_ACCESS_LOG") or None,
        "errorlog": "-",
        "loglevel": os.environ.get("JANUS_LOG_LEVEL", "info").lower(),
        "on_starting": on_starting,
        "pre_fork": listeners.pre_fork,
        "post_fork": listeners.post_fork,
        "child_exit": child_exit,
        "on_exit": on_exit,
        "post_worker_init": post_worker_init,
    }
    # gunicorn 27 opens a control socket under $HOME by default; two services on
    # one host would fight over it, and nothing here uses it. Opt in with a path.
    control_socket = os.environ.get("JANUS_CONTROL_SOCKET", "")
    if control_socket:
        values["control_socket"] = control_socket
    else:
        values["control_socket_disable"] = True
    return values
