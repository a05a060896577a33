"""E1: the memory of an export of every log (1,000,000; ``--quick``: a tenth),
in-process through the WSGI app on the big-data database (bench/bigdata.py).

``GET /logs/export`` as the admin (every row visible), once per format, its
body read chunk by chunk and dropped, as gunicorn sends it. A sampler thread
reads this process's ``VmRSS`` (/proc/self/status) every ``INTERVAL``
seconds: the figure is the peak during the export minus the RSS just before
it. A list read whole into memory would grow by hundreds of MB; a streamed
one stays flat. RSS can hide growth in memory the allocator kept from the
filling before, so a second export runs under tracemalloc, whose peak counts
Python's allocations alone. Also: rows/s, bytes, and the RSS after.
"""
from __future__ import annotations

import gc
import threading
import time
import tracemalloc
from pathlib import Path

from bench import inprocess
from bench.memory import status_kib

INTERVAL = 0.1
SELF = Path("/proc/self/status")


def rss_kib() -> int:
    return status_kib(SELF.read_text(), "VmRSS")


class RssSampler(threading.Thread):
    """This process's largest VmRSS between start() and stop()."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.samples = rss_kib(), 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(INTERVAL):
            self.peak = max(self.peak, rss_kib())
            self.samples += 1

    def stop(self) -> int:
        self._done.set()
        self.join()
        return max(self.peak, rss_kib())


def _read(app, token: str, output: str) -> tuple[int, int]:
    """(bytes, lines) of one export read to the end, chunk by chunk."""
    status, size, lines = [], 0, 0
    body = app(inprocess._environ("GET", f"/logs/export?format={output}", token),
               lambda s, h, e=None: status.append(s))
    try:
        for chunk in body:
            size += len(chunk)
            lines += chunk.count(b"\n")
    finally:
        if hasattr(body, "close"):
            body.close()
    if not status[0].startswith("200"):
        raise RuntimeError(f"GET /logs/export answered {status[0]}")
    return size, lines


def export_once(app, token: str, output: str) -> dict:
    """One export read to the end: rows, bytes, seconds and RSS (KiB); then
    another under tracemalloc: the peak of Python's own allocations, which
    memory the allocator kept from earlier work cannot hide (slower: not timed)."""
    gc.collect()
    start = rss_kib()
    sampler = RssSampler()
    sampler.start()
    began = time.perf_counter()
    size, lines = _read(app, token, output)
    seconds = time.perf_counter() - began
    peak = sampler.stop()
    tracemalloc.start()
    try:
        _read(app, token, output)
        traced_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # CSV: a header row, and CRLF line ends (a newline inside a quoted cell
    # would count too: the generated logs have none).
    rows = lines - 1 if output == "csv" else lines
    return {"rows": rows, "bytes": size, "seconds": seconds, "rows_per_s": rows / seconds,
            "rss_start_kib": start, "rss_peak_kib": peak, "rss_end_kib": rss_kib(),
            "samples": sampler.samples, "traced_peak_kib": traced_peak // 1024}


def measure(app, token: str) -> dict:
    """{format: export_once(...)} for CSV and NDJSON."""
    return {output: export_once(app, token, output) for output in ("csv", "ndjson")}


def notes(backend: str, exports: dict) -> list[str]:
    return [f"export {backend} {output}: {f['rows']:,} logs, {f['bytes'] / 2**20:,.0f} MB in "
            f"{f['seconds']:.1f} s ({f['rows_per_s']:,.0f} rows/s); RSS start "
            f"{f['rss_start_kib'] / 1024:,.1f} MB, peak {f['rss_peak_kib'] / 1024:,.1f} MB, end "
            f"{f['rss_end_kib'] / 1024:,.1f} MB ({f['samples']} samples every {INTERVAL} s); "
            f"tracemalloc peak {f['traced_peak_kib'] / 1024:,.1f} MB"
            for output, f in exports.items()]
