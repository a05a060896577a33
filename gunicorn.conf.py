"""gunicorn settings, every one overridable from the environment.

Defaults suit a 2-core server: 2 workers x 4 threads. Threads share the
worker's connection pool, so a request reuses a database connection instead of
opening one.
"""
import os

bind = os.environ.get("JANUS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("JANUS_WORKERS", "2"))
threads = int(os.environ.get("JANUS_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("JANUS_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("JANUS_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("JANUS_KEEPALIVE", "5"))
# Restart workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("JANUS_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("JANUS_MAX_REQUESTS_JITTER", "1000"))

# gunicorn 27 opens a control socket under $HOME by default; two services on
# one host would fight over it, and nothing here uses it. Opt in with a path.
_control_socket = os.environ.get("JANUS_CONTROL_SOCKET", "")
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True

# Janus writes one JSON line per request itself; gunicorn's access log would
# repeat it in another format.
accesslog = os.environ.get("JANUS_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("JANUS_LOG_LEVEL", "info").lower()

# GET /metrics sums every worker's values through files in one directory
# (prometheus-client's multiprocess mode). Set before any worker imports
# prometheus_client, so each worker writes there. Unless the operator named
# one, a fresh private directory is made at start and removed at exit; a named
# one is created if missing and emptied of a previous run's files (their
# counts would otherwise be added to this run's).
_made_metrics_dir = None


def on_starting(server):
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
    # A dead worker's counters stay in the sum; its live-only values go.
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        import shutil
        shutil.rmtree(_made_metrics_dir, ignore_errors=True)
