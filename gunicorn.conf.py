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
