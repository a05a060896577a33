"""How many full decodes one worker runs at once (JANUS_DECODE_CONCURRENCY).

A PNG or TIFF is always decoded at full size: a 49 Mpx RGBA file of 190 KB
holds ~200 MB of pixels, and a few at once in one worker would take it past
a gigabyte. Every decode of client bytes in janus.imaging (an upload's
inspection, an analysis, a thumbnail) runs inside ``full_decode()``, which
lets at most N run in a process; the others wait their turn in a queue that
costs neither memory nor CPU.

A caller waits at most WAIT_SECONDS, then gets a 503 ``service_unavailable``
with ``Retry-After`` rather than holding its thread (and its client) for as
long as the queue ahead of it is.

``janus_image_decodes`` (janus.metrics) counts every decode begun, so a test
(or an operator through /metrics) can tell whether a request decoded pixels.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from janus import metrics
from janus.errors import ServiceUnavailable

DEFAULT_CONCURRENCY = 2
# Well under gunicorn's 30 s timeout; a 49 Mpx decode takes about a second.
WAIT_SECONDS = 20.0

_limit = DEFAULT_CONCURRENCY
_slots = threading.BoundedSemaphore(_limit)


def configure(concurrency: int) -> None:
    """Set N (create_app calls it with JANUS_DECODE_CONCURRENCY before serving)."""
    global _limit, _slots
    if concurrency < 1:
        raise ValueError("decode concurrency must be >= 1")
    if concurrency != _limit:
        _limit, _slots = concurrency, threading.BoundedSemaphore(concurrency)


def concurrency() -> int:
    return _limit


@contextmanager
def full_decode() -> Iterator[None]:
    """Hold one of the N decode slots for the duration of the block."""
    slots = _slots
    if not slots.acquire(timeout=WAIT_SECONDS):
        raise ServiceUnavailable("too many images are being decoded right now; "
                                 "try again shortly",
                                 details={"decode_concurrency": _limit})
    try:
        metrics.image_decoded()
        yield
    finally:
        slots.release()
