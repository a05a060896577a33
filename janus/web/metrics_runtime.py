"""The runtime's series at GET /metrics: ``janus_build_info``, and under
gunicorn the ``process_*`` and ``python_*`` series that prometheus-client's
default collectors give a single process.

Those collectors do not work in multiprocess mode (they describe only the
process that runs them, and only the files in PROMETHEUS_MULTIPROC_DIR are
summed), so under gunicorn:

- ``process_*`` are read from /proc at each scrape, by whichever worker
  answers it, for the gunicorn master and every live worker, each series
  labelled ``pid`` and ``process`` ("master" or "worker"): sum them by
  ``process`` for the service's totals.
- ``python_gc_*_total{generation}`` are multiprocess counters: each worker
  adds what ``gc.get_stats()`` gained since it last looked (at most once a
  second, after a request; never from a gc callback, which could fire while
  prometheus-client holds its value lock), so they sum every worker's
  collections since it started, dead workers' included.
- ``python_info`` is the same for every process: given as it is.
"""
from __future__ import annotations

import gc
import importlib.metadata
import os
import time

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

GC_FLUSH_SECONDS = 1.0


def version() -> str:
    try:
        return importlib.metadata.version("janus")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout never installed
        return "unknown"


class BuildInfo(Collector):
    """``janus_build_info{version="1.0.0"} 1``: join on it to see which
    version each target runs."""

    def __init__(self):
        self.version = version()

    def collect(self):
        family = GaugeMetricFamily("janus_build_info", "The running Janus version (always 1)",
                                   labels=["version"])
        family.add_metric([self.version], 1)
        yield family


def _parent_of(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:  # gone meanwhile, or not ours to read
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    return int(stat[stat.rindex(b")") + 2:].split()[1])


def _children_of(pid: int) -> list[int]:
    """The kernel's list of ``pid``'s children (a single-threaded master's
    are all its main thread's); a scan of every process (~5 ms for 150)
    where the kernel lacks it (CONFIG_PROC_CHILDREN)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(child) for child in fh.read().split()]
    except OSError:
        return [int(entry) for entry in os.listdir("/proc")
                if entry.isdigit() and _parent_of(entry) == pid]


def gunicorn_processes() -> list[tuple[int, str]]:
    """(pid, "master" | "worker") of this worker's master and its children."""
    master = os.getppid()
    return [(master, "master"), *((pid, "worker") for pid in sorted(_children_of(master)))]


class GunicornProcesses(Collector):
    """ProcessCollector's series for every gunicorn process, labelled."""

    def collect(self):
        merged: dict[str, Metric] = {}
        for pid, role in gunicorn_processes():
            for family in ProcessCollector(pid=lambda pid=pid: pid, registry=None).collect():
                out = merged.get(family.name)
                if out is None:
                    out = merged[family.name] = Metric(family.name, family.documentation,
                                                       family.type, family.unit)
                for sample in family.samples:
                    out.add_sample(sample.name, {**sample.labels, "pid": str(pid),
                                                 "process": role}, sample.value)
        yield from merged.values()


class GcCounts:
    """The workers' garbage collections as multiprocess counters (created
    only in multiprocess mode: in one process the default registry's
    GCCollector already has these names)."""

    def __init__(self):
        labels = ["generation"]
        self.collections = Counter("python_gc_collections", "Number of times this generation "
                                   "was collected, every worker summed", labels, registry=None)
        self.collected = Counter("python_gc_objects_collected", "Objects collected during gc, "
                                 "every worker summed", labels, registry=None)
        self.uncollectable = Counter("python_gc_objects_uncollectable", "Uncollectable objects "
                                     "found during gc, every worker summed", labels,
                                     registry=None)
        self.seen = [self._totals(stats) for stats in gc.get_stats()]  # from here on
        self.flush()  # every generation's series present (at 0) from the start

    @staticmethod
    def _totals(stats: dict) -> tuple[int, int, int]:
        return stats["collections"], stats["collected"], stats["uncollectable"]

    def maybe_flush(self) -> None:
        if time.monotonic() >= self.next_flush:
            self.flush()

    def flush(self) -> None:
        self.next_flush = time.monotonic() + GC_FLUSH_SECONDS
        for generation, stats in enumerate(gc.get_stats()):
            now = self._totals(stats)
            label = str(generation)
            for counter, new, old in zip((self.collections, self.collected, self.uncollectable),
                                         now, self.seen[generation], strict=True):
                counter.labels(label).inc(max(new - old, 0))
            self.seen[generation] = now


def multiprocess_collectors() -> list[Collector]:
    """What the scrape registry adds to the summed files under gunicorn."""
    return [BuildInfo(), GunicornProcesses(), PlatformCollector(registry=None)]
