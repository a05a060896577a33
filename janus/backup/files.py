"""The file store in and out of an archive, through the store interface
(janus.storage), so a backup and a restore work the same on a local folder
and on a bucket.

Into an archive go the originals the snapshot's rows reference (exactly
those: an object whose row was not yet committed at the snapshot is left
out, as its row is) and the cached thumbnails of those originals, each
streamed from the store. Each original is checked on the way: its SHA-256
must equal its name, or the store is damaged and the backup fails. An
original that is gone when it is copied is reported with ``Vanished``, and
the caller takes a fresh snapshot (see ``janus.backup.create``).

Out of an archive, each member is read whole (an original is at most
JANUS_MAX_UPLOAD_BYTES), checked against the manifest's checksum and only
then written to the store (temp file and rename, or one PUT), so a partly
restored store never holds a truncated object. ``--force`` then removes
originals and thumbnails the archive does not hold; anything outside the
store's layout is never touched.
"""
from __future__ import annotations

import io
from collections import defaultdict

from janus.backup.archive import ArchiveWriter
from janus.backup.common import BackupError
from janus.backup.manifest import STORAGE_PREFIX, Entry
from janus.errors import JanusError, NotFound
from janus.storage import Blob, Store
from janus.storage.base import is_key, parse_thumbnail, thumbnail_name


class Vanished(Exception):
    """Stored files the snapshot references were not there to be copied."""

    def __init__(self, keys: list[str]):
        super().__init__(f"{len(keys)} referenced file(s) missing, e.g. {keys[0]}")
        self.keys = keys


class BlobReader(io.RawIOBase):
    """A Blob as the file object tarfile reads from."""

    def __init__(self, blob: Blob):
        self._chunks, self._rest = blob.chunks(), b""

    def readable(self):
        return True

    def read(self, n=-1):
        while n < 0 or len(self._rest) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._rest += chunk
        if n < 0:
            n = len(self._rest)
        data, self._rest = self._rest[:n], self._rest[n:]
        return data


def _store_error(store: Store, exc: JanusError) -> BackupError:
    return BackupError(f"file store {store.where}: {exc.message}")


def copy_into(writer: ArchiveWriter, store: Store, keys: list[str]) -> list[Entry]:
    """Add the originals named by ``keys`` and their thumbnails to ``writer``."""
    try:
        return _copy_into(writer, store, keys)
    except JanusError as exc:  # unreachable or refusing: one line, no backup
        raise _store_error(store, exc) from None


def _copy_into(writer: ArchiveWriter, store: Store, keys: list[str]) -> list[Entry]:
    present, thumbs = set(), defaultdict(list)
    for item in store.listing():  # one walk (or a few LIST pages) up front
        parsed = parse_thumbnail(item.name)
        if parsed is not None:
            thumbs[parsed[0]].append(parsed[1])
        elif is_key(item.name):
            present.add(item.name)
    gone = [key for key in keys if key not in present]  # cheap, before any byte is written
    if gone:
        raise Vanished(gone)
    entries = []
    for key in keys:
        try:
            blob = store.open(key)  # once open, a concurrent delete cannot hurt
        except NotFound:
            raise Vanished([key]) from None
        try:
            entry = writer.add_stream(STORAGE_PREFIX + key, BlobReader(blob), blob.size)
        finally:
            blob.close()
        if entry.sha256 != key.rsplit("/", 1)[1]:
            raise BackupError(f"stored file {key} in {store.where} does not match its name "
                              f"(its SHA-256 is {entry.sha256}): the file store is damaged")
        entries.append(entry)
        for size in sorted(thumbs.get(key, ())):
            thumb = store.open_thumbnail(key, size)
            if thumb is None:  # a cache entry: losing it costs a re-render
                continue
            try:
                entries.append(writer.add_stream(STORAGE_PREFIX + thumbnail_name(key, size),
                                                 BlobReader(thumb), thumb.size))
            finally:
                thumb.close()
    return entries


def occupied(store: Store) -> str | None:
    """Why the store must not be written into without --force, or None."""
    found = sum(1 for _ in store.listing())
    return f"file store {store.where} is not empty ({found} files)" if found else None


def put_member(store: Store, entry: Entry, data: bytes) -> None:
    """Write one verified archive member (an original or a thumbnail) to ``store``."""
    rel = entry.path[len(STORAGE_PREFIX):]
    thumb = parse_thumbnail(rel)
    if thumb is not None:
        store.put_thumbnail(*thumb, data)
    elif is_key(rel):
        if store.put(data) != rel:  # the manifest was validated; this is belt and braces
            raise BackupError(f"damaged archive: {entry.path} does not match its name")
    else:
        raise BackupError(f"refusing to write {entry.path!r} outside the file store")


def remove_others(store: Store, keep: set[str]) -> int:
    """Delete originals and thumbnails whose relative name is not in ``keep``;
    return how many went."""
    removed = 0
    for item in list(store.listing()):
        if item.name not in keep and (is_key(item.name) or parse_thumbnail(item.name)):
            store.remove(item.name)
            removed += 1
    return removed
