"""``gunicorn janus.wsgi:app``: Janus for a bare gunicorn (no gunicorn.conf.py),
from any directory, with what the app can set up for itself: logging (one
JSON line per request, create_app) and the metrics directory. The server's
own settings (bind, workers, threads, worker class) are gunicorn's flags
(docs/deployment.md); janus-serve applies Janus's defaults instead.

Workers of one gunicorn master share one metrics directory, named after the
master (their parent process), so GET /metrics sums them as under
janus-serve. Without gunicorn's hooks nothing removes it or a dead worker's
live gauges: a restart of gunicorn (a new master pid) starts clean.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def _shared_metrics_dir() -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") or "gunicorn" not in sys.modules:
        return
    path = Path(tempfile.gettempdir()) / f"janus-metrics-{os.getuid()}-{os.getppid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


# Before janus.web.app imports prometheus_client, which reads the variable once.
_shared_metrics_dir()

from janus.web.app import create_app  # noqa: E402 - after the metrics directory

app = create_app()
