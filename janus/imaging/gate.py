"""How many full decodes one worker runs at once (JANUS_DECODE_CONCURRENCY).

A PNG or TIFF is always decoded at full size: a 49 Mpx RGBA file of 190 KB
holds ~200 MB of pixels, and a few at once in one worker would take it past
a gigabyte. Every decode of client bytes in janus.imaging (an upload's
inspection, an analysis, a thumbnail) runs inside ``full_decode()``, which
lets at most N run in a process; the others wait their turn in a queue that
costs neither memory nor CPU.

Pillow's pixel memory comes in blocks of 16 MB by default, below glibc's
mmap threshold (up to 32 MB), so a freed image stays in the malloc arena of
the thread that decoded it, and each of gunicorn's threads has its own:
after a few 49 Mpx analyses on different threads a worker held ~2 GB even
with one decode at a time (``make bench``, section ``analysis``). Blocks of
PIXEL_BLOCK_BYTES are mmapped and go back to the system when the image is
freed. PILLOW_BLOCK_SIZE in the environment still wins.

A waiting caller holds one of the worker's threads (JANUS_THREADS), and a
worker whose every thread waits here answers nothing else, /health included.
So at most IN_GATE callers are inside, decoding or waiting (each waits at most
WAIT_SECONDS); any other gets a 503 ``service_unavailable`` with
``Retry-After`` at once.

``janus_image_decodes`` (janus.metrics) counts every decode begun, so a test
(or an operator through /metrics) can tell whether a request decoded pixels.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image

from janus import metrics
from janus.errors import ServiceUnavailable

DEFAULT_CONCURRENCY = 1
# A 49 Mpx decode takes 1-4 s: long enough for a worker's whole queue of them.
# (gunicorn's timeout watches the worker, not one request's thread.)
WAIT_SECONDS = 30.0
# Callers decoding or waiting, per worker: 6 of the default 8 threads, so 2
# stay free for other requests (/health included), and a browser's 6
# connections (a gallery's thumbnails) never see a 503 from one worker.
IN_GATE = 6
# Above glibc's largest mmap threshold (32 MB on 64-bit).
PIXEL_BLOCK_BYTES = 64 * 1024 * 1024

if not os.environ.get("PILLOW_BLOCK_SIZE"):
    Image.core.set_block_size(PIXEL_BLOCK_BYTES)

_limit = DEFAULT_CONCURRENCY
_slots = threading.BoundedSemaphore(_limit)
_waiting = 0
_waiting_lock = threading.Lock()


def configure(concurrency: int) -> None:
    """Set N (create_app calls it with JANUS_DECODE_CONCURRENCY before serving)."""
    global _limit, _slots
    if concurrency < 1:
        raise ValueError("decode concurrency must be >= 1")
    if concurrency != _limit:
        _limit, _slots = concurrency, threading.BoundedSemaphore(concurrency)


def concurrency() -> int:
    return _limit


def waiting() -> int:
    """Callers waiting for a slot right now."""
    return _waiting


def waiting_limit() -> int:
    """How many callers may wait for a slot; one more gets a 503."""
    return max(IN_GATE - _limit, 0)


def _busy() -> ServiceUnavailable:
    return ServiceUnavailable("too many images are being decoded right now; try again shortly",
                              details={"decode_concurrency": _limit})


@contextmanager
def full_decode() -> Iterator[None]:
    """Hold one of the N decode slots for the duration of the block."""
    global _waiting
    slots = _slots
    if not slots.acquire(blocking=False):
        with _waiting_lock:
            if _waiting >= waiting_limit():
                raise _busy()
            _waiting += 1
        try:
            acquired = slots.acquire(timeout=WAIT_SECONDS)
        finally:
            with _waiting_lock:
                _waiting -= 1
        if not acquired:
            raise _busy()
    try:
        metrics.image_decoded()
        yield
    finally:
        slots.release()
