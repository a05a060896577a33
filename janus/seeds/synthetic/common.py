"""What every row maker of janus.seeds.synthetic shares: JSON text, weighted
choices, the ``Timeline`` of timestamps and the ``Picker`` of referred ids.

Timestamps come from a ``Timeline``: ascending within one run (ids and times
grow together, as in an append-only table), over the last ``days`` days, with
a daily rhythm, quieter weekends, activity growing towards today and ~3% of
rows sharing the previous row's exact timestamp (so keyset pagination on
``(timestamp, id)`` meets ties).
"""
from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta

import msgspec

_encode = msgspec.json.Encoder().encode


def dumps(value) -> str:
    return _encode(value).decode()


def signed64(value: int) -> int:
    """An unsigned 64-bit value as the signed BIGINT janus.imaging.phash_to_int stores."""
    return value - (1 << 64) if value >= 1 << 63 else value


def weighted(pairs):
    """(values, cumulative weights) for random.choices."""
    values = [value for value, _ in pairs]
    return values, list(itertools.accumulate(weight for _, weight in pairs))


# -- time ---------------------------------------------------------------------
# Relative activity per hour of the day (UTC), lowest at night.
_HOURLY = (0.25, 0.18, 0.14, 0.12, 0.12, 0.16, 0.3, 0.55, 0.8, 0.95, 1.0, 1.0,
           0.95, 1.0, 1.0, 0.98, 0.92, 0.85, 0.75, 0.7, 0.65, 0.6, 0.5, 0.35)


class Timeline:
    """``count`` ascending timestamps over the ``days`` days before ``now``,
    handed out batch by batch with ``take(k)``."""

    def __init__(self, rng: random.Random, now: datetime, days: float, count: int):
        self.rng, self.count, self.done = rng, max(count, 1), 0
        hours = max(1, int(days * 24))
        self.start = now - timedelta(hours=hours)
        weights = []
        for i in range(hours):
            moment = self.start + timedelta(hours=i)
            weekend = 0.6 if moment.weekday() >= 5 else 1.0
            weights.append(_HOURLY[moment.hour] * weekend * (0.6 + 0.4 * i / hours))
        self.weights = weights
        self.cumulative = list(itertools.accumulate(weights))
        self.previous: datetime | None = None

    def take(self, k: int) -> list[datetime]:
        rng, total = self.rng, self.cumulative[-1]
        lo, hi = self.done / self.count, min(1.0, (self.done + k) / self.count)
        self.done += k
        random, span = rng.random, hi - lo
        cumulative, weights, start = self.cumulative, self.weights, self.start
        last = len(cumulative) - 1
        out = []
        previous = self.previous
        i = 0
        for u in sorted([lo + span * random() for _ in range(k)]):
            if previous is not None and random() < 0.03:
                out.append(previous)  # a burst: same instant as the row before
                continue
            x = u * total
            while i < last and cumulative[i] < x:  # u ascends: walk, no search
                i += 1
            before = cumulative[i - 1] if i else 0.0
            hour = i + (x - before) / weights[i]
            previous = start + timedelta(microseconds=int(hour * 3_600_000_000))
            out.append(previous)
        self.previous = previous
        return out


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(0, int((end - start).total_seconds() * 1_000_000))
    return start + timedelta(microseconds=rng.randrange(span + 1))


# -- references ---------------------------------------------------------------
class Picker:
    """Ids to refer to, drawn with a skew: a few "power users" own most rows."""

    def __init__(self, rng: random.Random, ids, skew: float = 2.0):
        self.ids = list(ids)
        rng.shuffle(self.ids)  # which ids are the busy ones is random
        self.rng, self.skew, self.n = rng, skew, len(self.ids)

    def __bool__(self) -> bool:
        return self.n > 0

    def index(self) -> int:
        return int(self.n * self.rng.random() ** self.skew)

    def pick(self):
        return self.ids[int(self.n * self.rng.random() ** self.skew)]
