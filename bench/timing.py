"""In-process timing of a few operations against a baseline, in rounds.

Every operation is called once first (warm-up: imports, caches, the first
page reads) and that call sets how many calls one sample makes: enough to
last ``min_seconds``, at least one. Each round then takes one sample of every
operation in turn, the baseline first, so a slow drift of a shared machine
lands on both sides of a ratio. The figure is the best (fastest) round: noise
only ever slows a call down; the spread is (worst - best) / best.
"""
from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

wall = time.perf_counter
cpu = time.process_time  # CPU of this process (every thread): B1c's "CPU per request"


def _sample(fn: Callable[[], object], number: int, clock=wall) -> float:
    began = clock()
    for _ in range(number):
        fn()
    return (clock() - began) / number


def measure(ops: dict[str, Callable[[], object]], rounds: int, min_seconds: float,
            progress: Callable[[], None] | None = None, clock=wall) -> dict:
    """{name: {"best_ms", "median_ms", "worst_ms", "spread", "calls", "rounds_ms"}}
    for every operation of ``ops`` (in its order: put the baseline first);
    ``clock`` is wall time (default) or ``cpu``."""
    number, samples = {}, {name: [] for name in ops}
    for name, fn in ops.items():
        first = _sample(fn, 1, wall)
        number[name] = max(1, math.ceil(min_seconds / max(first, 1e-6)))
    for _ in range(rounds):
        for name, fn in ops.items():
            samples[name].append(_sample(fn, number[name], clock) * 1000)
        if progress:
            progress()
    return {name: summary(ms, number[name]) for name, ms in samples.items()}


def summary(ms: list[float], calls: int) -> dict:
    best = min(ms)
    return {"best_ms": best, "median_ms": statistics.median(ms), "worst_ms": max(ms),
            "spread": (max(ms) - best) / best if best else 0.0, "calls": calls,
            "rounds_ms": [round(x, 4) for x in ms]}
