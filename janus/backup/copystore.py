"""``python -m janus.backup copy-store``: copy one file store into another
and check it, the move from one host (a local folder) to several (a bucket),
or back.

Every original in the source is read, its SHA-256 checked against its key
(a mismatch means the source is damaged: stop), and written to the target
unless the target already holds exactly those bytes; then the target's copy
is read back and its SHA-256 checked against the key too. With
``--thumbnails`` the cached thumbnails follow, checked byte for byte against
the source's. Running it again copies only what is missing or wrong and
checks everything again, so it is idempotent, and an interrupted run is
resumed by running it again. One object is in memory at a time (an original
is at most JANUS_MAX_UPLOAD_BYTES).

It copies objects only: the database already names the keys, which are the
same in both stores. Rows are never read, so an orphan in the source is
copied too (the target's start-up sweep removes it later).
"""
from __future__ import annotations

import dataclasses
import hashlib
import time

from janus.backup.common import BackupError
from janus.errors import JanusError, NotFound
from janus.storage import Store
from janus.storage.base import is_key, parse_thumbnail


@dataclasses.dataclass
class Copied:
    originals: int = 0  # written to the target
    present: int = 0  # already there, byte for byte
    thumbnails: int = 0
    vanished: int = 0  # listed, then gone from the source before it was read
    bytes: int = 0
    seconds: float = 0.0

    @property
    def verified(self) -> int:
        return self.originals + self.present


def _sha_of_key(key: str) -> str:
    return key.rsplit("/", 1)[1]


def _target_holds(target: Store, key: str) -> bool:
    try:
        return hashlib.sha256(target.read(key)).hexdigest() == _sha_of_key(key)
    except NotFound:
        return False


def copy_store(source: Store, target: Store, *, thumbnails: bool = False) -> Copied:
    if source.kind == target.kind and source.where == target.where:
        raise BackupError(f"the source and the target are the same store ({source.where})")
    begun, done = time.monotonic(), Copied()
    try:
        listing = list(source.listing())
        for item in sorted(listing, key=lambda i: i.name):
            if is_key(item.name):
                _copy_original(source, target, item.name, done)
        if thumbnails:
            for item in listing:
                parsed = parse_thumbnail(item.name)
                if parsed is not None:
                    _copy_thumbnail(source, target, *parsed, done)
    except JanusError as exc:
        raise BackupError(f"copying {source.where} to {target.where} failed: "
                          f"{exc.message}") from None
    except OSError as exc:
        raise BackupError(f"copying {source.where} to {target.where} failed: "
                          f"{exc.strerror or exc}") from None
    done.seconds = time.monotonic() - begun
    return done


def _copy_original(source: Store, target: Store, key: str, done: Copied) -> None:
    try:
        data = source.read(key)
    except NotFound:  # deleted (or swept) since the listing: nothing to copy
        done.vanished += 1
        return
    if hashlib.sha256(data).hexdigest() != _sha_of_key(key):
        raise BackupError(f"{key} in {source.where} does not match its name: the source "
                          "store is damaged; nothing more was copied")
    if _target_holds(target, key):
        done.present += 1
        return
    if target.put(data) != key or not _target_holds(target, key):
        raise BackupError(f"{key} in {target.where} does not match its name after the "
                          "copy: the target store does not keep what it is given")
    done.originals += 1
    done.bytes += len(data)


def _copy_thumbnail(source: Store, target: Store, key: str, size: int, done: Copied) -> None:
    blob = source.open_thumbnail(key, size)
    if blob is None:
        return
    data = blob.read()
    existing = target.open_thumbnail(key, size)
    if existing is not None and existing.read() == data:
        return
    target.put_thumbnail(key, size, data)
    again = target.open_thumbnail(key, size)
    if again is None or again.read() != data:
        raise BackupError(f"the {size} thumbnail of {key} in {target.where} does not match "
                          "the source's after the copy")
    done.thumbnails += 1
    done.bytes += len(data)
