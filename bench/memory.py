"""B6: the peak resident memory of a gunicorn server's workers.

A sampler thread reads, every ``interval`` seconds, ``VmHWM`` (the kernel's
high-water mark of the resident set) from /proc/<pid>/status of every worker
(child) of each watched gunicorn master and keeps the largest per server, so
a worker restarted by ``max_requests`` during the load still counts.
"""
from __future__ import annotations

import threading
from pathlib import Path

PROC = Path("/proc")


def worker_pids(master_pid: int, proc: Path = PROC) -> list[int]:
    """A gunicorn master's workers (its children), from /proc."""
    pids = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master_pid:
                pids.append(int(entry.name))
    return pids


def status_kib(text: str, field: str = "VmHWM") -> int | None:
    """``field`` of a /proc/<pid>/status text, in KiB."""
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def peak_kib(master_pid: int, proc: Path = PROC) -> int | None:
    peaks = []
    for pid in worker_pids(master_pid, proc):
        try:
            value = status_kib((proc / str(pid) / "status").read_text())
        except OSError:  # exited meanwhile
            continue
        if value is not None:
            peaks.append(value)
    return max(peaks, default=None)


class Sampler(threading.Thread):
    """Samples ``{name: master pid}`` until stop(); ``peaks`` is {name: KiB}."""

    def __init__(self, masters: dict[str, int], interval: float = 0.5):
        super().__init__(daemon=True)
        self.masters, self.interval = masters, interval
        self.peaks: dict[str, int | None] = {name: None for name in masters}
        self._done = threading.Event()

    def sample(self) -> None:
        for name, pid in self.masters.items():
            value = peak_kib(pid)
            if value is not None and (self.peaks[name] is None or value > self.peaks[name]):
                self.peaks[name] = value

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()

    def stop(self) -> dict:
        self._done.set()
        self.join()
        self.sample()
        return self.peaks
