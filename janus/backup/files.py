"""The file store in and out of an archive.

Into an archive go the originals the snapshot's rows reference (exactly
those: a file whose row was not yet committed at the snapshot is left out,
as its row is) and the cached thumbnails of those originals. Each original
is checked on the way: its SHA-256 must equal its name, or the store is
damaged and the backup fails. An original that is gone when it is copied is
reported with ``Vanished``, and the caller takes a fresh snapshot (see
``janus.backup.create``).

Out of an archive, every file is written under a temporary name and renamed
only once its checksum matches, so a partly restored store never holds a
truncated file. ``--force`` then removes originals and thumbnails the archive
does not hold; files that do not look like store files are never touched.
"""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import BinaryIO

from janus.backup.archive import ArchiveWriter
from janus.backup.common import BackupError
from janus.backup.manifest import STORAGE_PREFIX, THUMBNAIL, Entry, is_store_path

THUMBNAIL_DIR = "thumbnails"
STORE_DIR_PART = re.compile(r"[0-9a-f]{2}|[0-9a-f]{64}|thumbnails")


class Vanished(Exception):
    """Stored files the snapshot references were not there to be copied."""

    def __init__(self, keys: list[str]):
        super().__init__(f"{len(keys)} referenced file(s) missing, e.g. {keys[0]}")
        self.keys = keys


def missing(root: Path, keys: list[str]) -> list[str]:
    return [key for key in keys if not (root / key).is_file()]


def copy_into(writer: ArchiveWriter, root: Path, keys: list[str]) -> list[Entry]:
    """Add the originals named by ``keys`` and their thumbnails to ``writer``."""
    gone = missing(root, keys)  # cheap, before any byte is written
    if gone:
        raise Vanished(gone)
    entries = []
    for key in keys:
        fh = _opened(root / key)  # once open, a concurrent unlink cannot hurt
        if fh is None:
            raise Vanished([key])
        with fh:
            entry = writer.add_stream(STORAGE_PREFIX + key, fh)
        if entry.sha256 != key.rsplit("/", 1)[1]:
            raise BackupError(f"stored file {root / key} does not match its name "
                              f"(its SHA-256 is {entry.sha256}): the file store is damaged")
        entries.append(entry)
        for thumb in _listing(root / THUMBNAIL_DIR / key):
            rel = f"{THUMBNAIL_DIR}/{key}/{thumb.name}"
            if not THUMBNAIL.fullmatch(rel):  # in-progress ".tmp-" writes and the like
                continue
            fh = _opened(thumb)
            if fh is None:  # a cache entry: losing it costs a re-render
                continue
            with fh:
                entries.append(writer.add_stream(STORAGE_PREFIX + rel, fh))
    return entries


def _opened(path: Path) -> BinaryIO | None:
    """``path`` open for reading, or None when it is gone."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        return None


def _listing(directory: Path) -> list[Path]:
    try:
        return sorted(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):  # no thumbnails, or just deleted
        return []


def store_files(root: Path) -> list[Path]:
    """Every regular file under ``root`` (empty when it does not exist)."""
    if not root.is_dir():
        return []
    return [p for p in root.rglob("*") if p.is_file()]


def occupied(root: Path) -> str | None:
    """Why the storage dir must not be written into without --force, or None."""
    found = store_files(root)
    return f"storage dir {root} is not empty ({len(found)} files)" if found else None


def destination(root: Path):
    """Map a manifest entry to where it belongs under ``root`` (None: not a file)."""
    def where(entry: Entry) -> Path | None:
        if not entry.path.startswith(STORAGE_PREFIX):
            return None
        rel = entry.path[len(STORAGE_PREFIX):]
        if not is_store_path(rel):  # the manifest was validated; this is belt and braces
            raise BackupError(f"refusing to write {entry.path!r} outside the file store")
        return root / rel
    return where


def remove_others(root: Path, keep: set[str]) -> int:
    """Delete originals and thumbnails under ``root`` whose relative path is not
    in ``keep``; return how many went."""
    removed = 0
    for path in store_files(root):
        rel = path.relative_to(root).as_posix()
        if rel not in keep and is_store_path(rel):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    store_dirs = (p for p in root.rglob("*") if p.is_dir()
                  and all(STORE_DIR_PART.fullmatch(part) for part in p.relative_to(root).parts))
    for directory in sorted(store_dirs, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()  # only empty ones go
    return removed


def ensure_root(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create storage dir {root}: {exc.strerror or exc}") from None
    if not os.access(root, os.W_OK):
        raise BackupError(f"storage dir {root} is not writable")
