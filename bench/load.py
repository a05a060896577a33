"""A small closed-loop HTTP load generator: N threads, one keep-alive
``http.client`` connection each, for a fixed duration.

The same client drives the bare baseline app and Janus, so its own cost (it
shares the machine's cores with the server) weighs on both sides of a ratio.
Each thread cycles through its own list of requests (e.g. a different token
or image id per thread). Any non-2xx answer counts as an error; a dropped
keep-alive connection (gunicorn restarting a worker after max_requests closes
them) is reopened and counted as a reconnect, not as an error.
"""
from __future__ import annotations

import dataclasses
import http.client
import itertools
import threading
import time


@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: tuple = ()  # ((name, value), ...)


@dataclasses.dataclass
class Result:
    requests: int
    errors: int
    reconnects: int
    seconds: float
    client_cpu: float  # CPU the client process used, in cores (1.0 = one core busy)
    p50_ms: float | None
    p99_ms: float | None
    statuses: dict  # status -> count, non-2xx only (and "exc" for failures)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"rps": round(self.rps, 1)}


def _percentile(ordered: list, fraction: float) -> float | None:
    if not ordered:
        return None
    index = min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))
    return ordered[index] * 1000.0


class _Worker(threading.Thread):
    def __init__(self, port: int, requests: list, start: threading.Event, stop_at: list):
        super().__init__(daemon=True)
        self.port, self.cycle = port, itertools.cycle(requests)
        self.start_event, self.stop_at = start, stop_at
        self.latencies: list[float] = []
        self.errors = self.reconnects = 0
        self.statuses: dict = {}

    def _bad(self, key) -> None:
        self.errors += 1
        self.statuses[key] = self.statuses.get(key, 0) + 1

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        clock, record = time.perf_counter, self.latencies.append
        self.start_event.wait()
        deadline = self.stop_at[0]
        try:
            while True:
                req = next(self.cycle)
                began = clock()
                if began >= deadline:
                    return
                try:
                    conn.request(req.method, req.path, req.body, dict(req.headers))
                    resp = conn.getresponse()
                    resp.read()
                except (ConnectionError, http.client.HTTPException, OSError) as exc:
                    conn.close()  # the next request reopens it
                    if isinstance(exc, (http.client.RemoteDisconnected,
                                        ConnectionResetError, BrokenPipeError)):
                        self.reconnects += 1
                    else:
                        self._bad(f"exc:{type(exc).__name__}")
                    continue
                record(clock() - began)
                if not 200 <= resp.status < 300:
                    self._bad(resp.status)
                if resp.will_close:  # "Connection: close" (a worker about to restart)
                    self.reconnects += 1
        finally:
            conn.close()


def run(port: int, per_thread: list[list[Request]], seconds: float) -> Result:
    """Drive 127.0.0.1:port with one thread per entry of ``per_thread``."""
    start, stop_at = threading.Event(), [0.0]
    workers = [_Worker(port, reqs, start, stop_at) for reqs in per_thread]
    for worker in workers:
        worker.start()
    began, cpu_began = time.perf_counter(), time.process_time()
    stop_at[0] = began + seconds
    start.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    cpu = (time.process_time() - cpu_began) / elapsed
    latencies = sorted(itertools.chain.from_iterable(w.latencies for w in workers))
    statuses: dict = {}
    for worker in workers:
        for key, count in worker.statuses.items():
            statuses[key] = statuses.get(key, 0) + count
    return Result(requests=len(latencies), errors=sum(w.errors for w in workers),
                  reconnects=sum(w.reconnects for w in workers), seconds=elapsed,
                  client_cpu=cpu,
                  p50_ms=_percentile(latencies, 0.50), p99_ms=_percentile(latencies, 0.99),
                  statuses={str(k): v for k, v in statuses.items()})


def get(path: str, token: str | None = None) -> Request:
    headers = (("Authorization", f"Bearer {token}"),) if token else ()
    return Request("GET", path, None, headers)


def post_json(path: str, body: bytes, token: str | None = None) -> Request:
    headers = [("Content-Type", "application/json")]
    if token:
        headers.append(("Authorization", f"Bearer {token}"))
    return Request("POST", path, body, tuple(headers))
