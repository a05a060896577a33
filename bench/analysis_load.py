"""Concurrent analyses of huge PNGs under gunicorn (section ``analysis``):
peak RSS per worker, and how long ``GET /health`` takes meanwhile.

Issue 15 item 5: a 190 KB PNG may declare 7000x7000 RGBA (49 Mpx, under the
50 Mpx limit), and each ``POST /images/<id>/analysis`` decodes it in full
(~200 MB of pixels). The bench makes IMAGES such PNGs, each different (so
no analysis can be copied from another's result, and every request decodes),
uploads them in-process (the server's memory is not touched by the setup),
starts Janus with the shipped settings (gunicorn.conf.py, the environment's
JANUS_* variables) on a fresh SQLite database, then sends the IMAGES
analyses at once from as many client threads while another thread asks
``GET /health`` every HEALTH_INTERVAL seconds. It reports, per worker, the
peak resident set (``VmHWM``), the /health latencies (median, max) and the
analyses' statuses.

Run alone: ``.venv/bin/python -m bench.analysis_load`` (or ``python -m bench
--sections analysis``). A measurement, not a test: nothing here fails on a
figure.
"""
from __future__ import annotations

import contextlib
import http.client
import io
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw

from bench import dataset
from bench.memory import status_kib, worker_pids
from bench.server import Server, server_env
from janus.access import Actor
from janus.config import Config
from janus.services.auth import issue_token
from janus.services.images import upload
from janus.storage import open_store

IMAGES = 12
SIDE = 7000
HEALTH_INTERVAL = 0.1
REQUEST_TIMEOUT = 120.0
TARGET_RSS_MB, TARGET_HEALTH_S = 1024, 1.0


def huge_png(n: int) -> bytes:
    """A 7000x7000 RGBA PNG of ~100-200 KB, different for every ``n``."""
    im = Image.new("RGBA", (SIDE, SIDE), (20 + n * 9 % 200, 90, 160, 255))
    draw = ImageDraw.Draw(im)
    for i in range(24):  # flat shapes compress well; their places depend on n
        x, y = (i * 977 + n * 131) % (SIDE - 700), (i * 1409 + n * 557) % (SIDE - 700)
        draw.rectangle((x, y, x + 600, y + 400), fill=((i * 37 + n) % 256, 40, 200, 128 + i))
    out = io.BytesIO()
    im.save(out, "PNG", compress_level=9)
    return out.getvalue()


def _setup(url: str, storage: Path) -> tuple[list[str], list[int], int]:
    """Migrate, make IMAGES users' tokens and upload one huge PNG each (in-process)."""
    db = dataset.migrate(url)
    db.connect(reuse_if_open=True)
    try:
        people = dataset.register_users(IMAGES)
        config = Config.from_env(env={"DATABASE_URL": url, "JANUS_STORAGE_DIR": str(storage)})
        store, tokens, ids, size = open_store(config), [], [], 0
        for n, user in enumerate(people):
            data = huge_png(n)
            size = max(size, len(data))
            ids.append(upload(Actor(user), data, f"huge-{n}.png", store, SIDE * SIDE).id)
            tokens.append(issue_token(user, 3600).plain)
    finally:
        db.close()
        db.close_all()
    return tokens, ids, size


def _request(port: int, method: str, path: str, token: str | None = None) -> tuple[int, float]:
    began = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {token}"} if token else {})
        status = conn.getresponse().status
    except OSError:
        status = 0
    finally:
        conn.close()
    return status, time.perf_counter() - began


class _Watch(threading.Thread):
    """/health latencies and every worker's VmHWM until stop()."""

    def __init__(self, port: int, master: int):
        super().__init__(daemon=True)
        self.port, self.master = port, master
        self.health: list[float] = []
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()

    def sample(self) -> None:
        for pid in worker_pids(self.master):
            with contextlib.suppress(OSError, TypeError):
                kib = status_kib(Path(f"/proc/{pid}/status").read_text())
                self.peaks[pid] = max(self.peaks.get(pid, 0), kib)

    def run(self) -> None:
        while not self.done.wait(HEALTH_INTERVAL):
            self.sample()
            self.health.append(_request(self.port, "GET", "/health")[1])

    def stop(self) -> None:
        self.done.set()
        self.join()
        self.sample()


def measure(env: dict, tmp: Path) -> dict:
    """Set up, serve, load; the figures as a dict (see print_table)."""
    tmp.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{tmp / 'analysis.db'}"
    storage = tmp / "analysis-storage"
    print(f"  analysis: making and uploading {IMAGES} PNGs of {SIDE}x{SIDE} RGBA",
          file=sys.stderr)
    tokens, ids, png_bytes = _setup(url, storage)
    server_env = dict(env, DATABASE_URL=url, JANUS_STORAGE_DIR=str(storage),
                      JANUS_DATA_DIR=str(tmp / "analysis-data"), JANUS_LOG_LEVEL="WARNING")
    with Server("analysis", "app:app", server_env, tmp, "/health") as server:
        server.wait_ready()
        watch = _Watch(server.port, server.pid)
        watch.sample()
        idle = dict(watch.peaks)
        watch.start()
        time.sleep(1.0)  # /health latencies at rest first
        began = time.perf_counter()
        with ThreadPoolExecutor(IMAGES) as pool:
            answers = list(pool.map(
                lambda pair: _request(server.port, "POST", f"/images/{pair[0]}/analysis?k=5",
                                      pair[1]), zip(ids, tokens, strict=True)))
        elapsed = time.perf_counter() - began
        time.sleep(0.5)
        watch.stop()
    statuses: dict[str, int] = {}
    for status, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    health = watch.health
    return {"images": IMAGES, "png_bytes": png_bytes, "side": SIDE,
            "decode_concurrency": env.get("JANUS_DECODE_CONCURRENCY", "default"),
            "statuses": statuses, "seconds": round(elapsed, 2),
            "analysis_max_s": round(max(t for _, t in answers), 2),
            "worker_peak_mb": sorted(round(kib / 1024) for kib in watch.peaks.values()),
            "worker_idle_mb": sorted(round(kib / 1024) for kib in idle.values()),
            "health_count": len(health),
            "health_median_s": round(statistics.median(health), 3) if health else None,
            "health_max_s": round(max(health), 3) if health else None}


def print_table(result: dict) -> None:
    peak = max(result["worker_peak_mb"], default=None)
    ok_rss = peak is not None and peak < TARGET_RSS_MB
    ok_health = result["health_max_s"] is not None and result["health_max_s"] < TARGET_HEALTH_S
    print(f"Concurrent analyses under gunicorn (SQLite): {result['images']} x POST "
          f"/images/<id>/analysis of different {result['side']}x{result['side']} RGBA PNGs "
          f"(<= {result['png_bytes'] / 1e3:.0f} KB each), all at once")
    print(f"  statuses {result['statuses']}, all answered in {result['seconds']} s "
          f"(slowest {result['analysis_max_s']} s)")
    print(f"  peak RSS per worker (VmHWM): {result['worker_peak_mb']} MB "
          f"(after start-up: {result['worker_idle_mb']} MB); target < {TARGET_RSS_MB} MB: "
          f"{'PASS' if ok_rss else 'FAIL'}")
    print(f"  GET /health meanwhile ({result['health_count']} requests): median "
          f"{result['health_median_s']} s, max {result['health_max_s']} s; target max < "
          f"{TARGET_HEALTH_S:.0f} s: {'PASS' if ok_health else 'FAIL'}")


def main() -> int:
    env = server_env()
    with tempfile.TemporaryDirectory(prefix="janus-bench-") as tmp:
        result = measure(env, Path(tmp))
    print_table(result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
