"""Stored files and the rows that use them: the per-key lock, ``release``
and the start-up sweep.

One stored file may back several images rows (identical bytes, different
owners). Every change to the file store that depends on "does a row use this
key?" happens inside a write transaction holding the key's lock:

* upload (janus.services.images.upload): write and fsync the bytes under a
  temp name (no lock: the slow part), then BEGIN, lock the key, insert the
  row and its audit row, rename the temp file to the key if the key's file is
  missing (else drop it), COMMIT;
* ``release``: BEGIN, lock the key, check that no row uses it, delete the
  file and its thumbnails, COMMIT.

So a release either runs wholly before an upload of the same bytes (the
upload then puts the file back) or wholly after its commit (and sees its
row): no committed row can lose its file. The lock is SQLite's write lock
(every transaction begins IMMEDIATE, so writers are serialised already) or,
on PostgreSQL, ``pg_advisory_xact_lock`` on a stable 64-bit hash of the key,
which the commit or rollback releases.

A process killed between writing a file and committing its row leaves a file
no row uses (and perhaps ``.tmp-*`` files): ``sweep`` removes them at start-up.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import peewee as pw

from janus.db import database, is_postgres
from janus.imaging import FileStore
from janus.models import Image

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


def release(store: FileStore, key: str | None) -> bool:
    """Delete the stored file (and its thumbnails) when no row uses it any more.

    The check and the delete happen under the key's lock, after the caller's
    own change has committed (see the module docstring)."""
    if key is None:
        return False
    with key_lock(key):
        if Image.select().where(Image.storage_key == key).exists():
            return False
        store.delete(key)  # the original and its thumbnails
    return True


# -- the start-up sweep ---------------------------------------------------------------------
@dataclasses.dataclass
class SweepReport:
    temp_files: int = 0
    originals: int = 0
    thumbnail_dirs: int = 0
    skipped: str | None = None  # why nothing was swept


def _older_than(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:  # another worker swept it first
        return False


def _unused(keys: list[str]) -> list[str]:
    """The keys no images row uses (one query per batch)."""
    unused = []
    for start in range(0, len(keys), _CHECK_BATCH):
        batch = keys[start:start + _CHECK_BATCH]
        used = {k for (k,) in Image.select(Image.storage_key)
                .where(Image.storage_key.in_(batch)).tuples()}
        unused += [k for k in batch if k not in used]
    return unused


def sweep(store: FileStore, grace_seconds: int, now: float | None = None) -> SweepReport:
    """Remove what a killed process left behind, older than ``grace_seconds``:
    ``.tmp-*`` files, originals no row uses, and thumbnail directories of
    keys no row uses.

    The grace period spares work in flight: another worker's upload writes its
    temp file before any lock is taken, and a worker of an older release may
    still write the file before its row. Several workers or hosts may sweep at
    once: a non-blocking flock on the store's root directory keeps a second
    one on the same host from repeating the walk, and every removal is
    idempotent and (for originals) re-checked under the key's lock by
    ``release``, so sweepers on other hosts are safe too.
    """
    report = SweepReport()
    cutoff = (time.time() if now is None else now) - grace_seconds
    root_fd = os.open(store.root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(root_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            report.skipped = "another process is sweeping"
            return report
        for path in store.temp_files():
            if _older_than(path, cutoff):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    report.temp_files += 1
        old = [key for key, path in store.originals() if _older_than(path, cutoff)]
        for key in _unused(old):
            if release(store, key):
                report.originals += 1
        thumbs = {key: path for key, path in store.thumbnail_keys() if _older_than(path, cutoff)}
        for key in _unused(sorted(thumbs)):
            with key_lock(key):
                if not store.exists(key) and not _referenced(key):
                    store.delete_thumbnails(key)
                    report.thumbnail_dirs += 1
    finally:
        os.close(root_fd)  # and with it the flock
    return report


def _referenced(key: str) -> bool:
    return Image.select().where(Image.storage_key == key).exists()


def sweep_at_startup(store: FileStore, grace_seconds: int) -> SweepReport | None:
    """``sweep`` for create_app: never stops the app from starting (the
    database may be down or not migrated yet); says what it did in the log."""
    if database.obj is None:
        return None
    was_closed = database.is_closed()
    try:
        report = sweep(store, grace_seconds)
    except (pw.DatabaseError, OSError) as exc:
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


def start_sweep(store: FileStore, grace_seconds: int) -> threading.Thread:
    """``sweep_at_startup`` in a daemon thread, so that a large backlog
    (measured: ~3.8 ms per unused original, most of it the unlink) never
    holds up a worker's boot past gunicorn's timeout."""
    thread = threading.Thread(target=sweep_at_startup, args=(store, grace_seconds),
                              name="janus-sweep", daemon=True)
    thread.start()
    return thread
