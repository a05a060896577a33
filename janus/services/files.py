"""Stored files and the rows that use them: the per-key lock, ``release``
and the start-up sweep, the same for both stores (janus.storage).

One stored object may back several images rows (identical bytes, different
owners: keys are content-addressed). Every change to the store that depends
on "does a row use this key?" happens inside a write transaction holding the
key's lock:

* upload (janus.services.images.upload):
  1. ``store.stage(data)``, no lock (the slow part): the local store writes
     and fsyncs a temp file beside the key; the S3 store PUTs the object at
     its final key (S3 has no rename; the key names the content, so a PUT of
     bytes another row already uses rewrites the same bytes);
  2. BEGIN, lock the key, insert the row and its audit row;
  3. ``staged.place()``: the local store renames the temp file to the key if
     the key's file is missing (else drops it); the S3 store HEADs the key and
     PUTs the bytes again if it is missing (a release between 1 and 2 deleted
     it);
  4. COMMIT (which releases the lock).
* ``release``: BEGIN, lock the key, check that no row uses it, delete the
  object and its thumbnails, COMMIT.

So a release either runs wholly before step 2 of an upload of the same
bytes (step 3 then puts the object back) or wholly after its commit (and sees
its row): no committed row can lose its object. Neither store relies on
conditional writes (If-None-Match), which rclone and others ignore. The
lock is SQLite's write lock (every transaction begins IMMEDIATE, so writers
are serialised already) or, on PostgreSQL, ``pg_advisory_xact_lock`` on a
stable 64-bit hash of the key, which the commit or rollback releases: a lock
every host shares, as it lives in the one database.

A failed upload removes its object through ``release`` (when no row uses
it). A process killed between steps 1 and 4 leaves an object no row uses
(and, on a local store, ``.tmp-*`` files): ``sweep`` removes them at
start-up, once they are older than the grace period.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Iterator

import peewee as pw

from janus.db import database, is_postgres
from janus.errors import JanusError
from janus.models import Image
from janus.storage import Store
from janus.storage.base import TEMP_PREFIX, is_key, parse_thumbnail

log = logging.getLogger("janus.files")
_LOCK_NAMESPACE = b"janus.storage_key:"
_CHECK_BATCH = 500


def lock_id(key: str) -> int:
    """A stable signed 64-bit id for ``key`` (PostgreSQL advisory locks take a bigint)."""
    digest = hashlib.sha256(_LOCK_NAMESPACE + key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def key_lock(key: str) -> Iterator[None]:
    """A write transaction holding ``key``'s lock until it commits or rolls back.

    Inside an outer transaction (the seed loader's) this is a savepoint, and
    the lock is held until the outer transaction ends."""
    with database.atomic():
        if is_postgres():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (lock_id(key),))
        yield


def release(store: Store, key: str | None) -> bool:
    """Delete the stored object (and its thumbnails) when no row uses it any more.

    The check and the delete happen under the key's lock, after the caller's
    own change has committed (see the module docstring)."""
    if key is None:
        return False
    with key_lock(key):
        if Image.select().where(Image.storage_key == key).exists():
            return False
        store.delete(key)  # the original and its thumbnails
    return True


def release_or_leave(store: Store, key: str | None) -> None:
    """``release`` once the caller's own change has committed (or failed):
    when the database or the store cannot say or do it (down, full,
    refusing), the object stays for the start-up sweep, the log says so, and
    the caller's own answer stands (a committed delete is still a 204)."""
    try:
        release(store, key)
    except (pw.DatabaseError, OSError, JanusError) as exc:
        log.warning({"message": "kept a stored file for the start-up sweep",
                     "storage_key": key, "detail": f"{type(exc).__name__}: {exc}"})


# -- the start-up sweep ---------------------------------------------------------------------
@dataclasses.dataclass
class SweepReport:
    temp_files: int = 0
    originals: int = 0
    thumbnail_dirs: int = 0  # keys whose cached thumbnails went
    skipped: str | None = None  # why nothing was swept


def _unused(keys: list[str]) -> list[str]:
    """The keys no images row uses (one query per batch)."""
    unused = []
    for start in range(0, len(keys), _CHECK_BATCH):
        batch = keys[start:start + _CHECK_BATCH]
        used = {k for (k,) in Image.select(Image.storage_key)
                .where(Image.storage_key.in_(batch)).tuples()}
        unused += [k for k in batch if k not in used]
    return unused


def sweep(store: Store, grace_seconds: int, now: float | None = None) -> SweepReport:
    """Remove what a killed process left behind, older than ``grace_seconds``:
    temp files, originals no row uses, and the cached thumbnails of keys that
    have neither a row nor an original.

    The grace period spares work in flight: an upload stores its object
    before any lock is taken, and a worker of an older release may still
    write the file before its row. Several workers or hosts may sweep at
    once: the store's ``sweep_guard`` keeps a second one on the same host
    from repeating the walk, and every removal is idempotent and (for
    originals) re-checked under the key's lock by ``release``, so sweepers on
    other hosts are safe too. One listing of the store feeds every step.
    """
    report = SweepReport()
    cutoff = (time.time() if now is None else now) - grace_seconds
    with store.sweep_guard() as ours:
        if not ours:
            report.skipped = "another process is sweeping"
            return report
        listing = list(store.listing())
        originals = {item.name for item in listing if is_key(item.name)}
        for item in _temp_files(listing):
            if item.mtime < cutoff:
                store.remove(item.name)
                report.temp_files += 1
        old = sorted(item.name for item in listing
                     if item.name in originals and item.mtime < cutoff)
        for key in _unused(old):
            if release(store, key):
                report.originals += 1
        newest: dict[str, float] = {}  # key -> its newest thumbnail's time
        for item in listing:
            parsed = parse_thumbnail(item.name)
            if parsed is not None and parsed[0] not in originals:
                newest[parsed[0]] = max(newest.get(parsed[0], 0.0), item.mtime)
        stale = sorted(key for key, mtime in newest.items() if mtime < cutoff)
        for key in _unused(stale):
            with key_lock(key):
                if not store.exists(key) and not _referenced(key):
                    store.delete_thumbnails(key)
                    report.thumbnail_dirs += 1
    return report


def _temp_files(listing: list) -> list:
    return [item for item in listing if item.name.rsplit("/", 1)[-1].startswith(TEMP_PREFIX)]


def _referenced(key: str) -> bool:
    return Image.select().where(Image.storage_key == key).exists()


def sweep_at_startup(store: Store, grace_seconds: int) -> SweepReport | None:
    """``sweep`` for create_app: never stops the app from starting (the
    database may be down or not migrated yet); says what it did in the log."""
    if database.obj is None:
        return None
    was_closed = database.is_closed()
    try:
        report = sweep(store, grace_seconds)
    except (pw.DatabaseError, OSError, JanusError) as exc:  # JanusError: a store that is down
        log.warning({"message": "start-up sweep of the file store stopped",
                     "detail": f"{type(exc).__name__}: {exc}"})
        return None
    finally:
        if was_closed and not database.is_closed():
            database.close()  # back to the pool
    if report.skipped or report.temp_files or report.originals or report.thumbnail_dirs:
        log.info({"message": "start-up sweep of the file store",
                  **dataclasses.asdict(report)})
    return report


def start_sweep(store: Store, grace_seconds: int) -> threading.Thread:
    """``sweep_at_startup`` in a daemon thread, so that a large backlog
    (measured: ~3.8 ms per unused original, most of it the unlink) never
    holds up a worker's boot past gunicorn's timeout."""
    thread = threading.Thread(target=sweep_at_startup, args=(store, grace_seconds),
                              name="janus-sweep", daemon=True)
    thread.start()
    return thread
