"""Content-addressed file store: a file's key is derived from its SHA-256.

Layout under ``root``::

    ab/cd/abcd...<64 hex>                 the original bytes
    thumbnails/ab/cd/abcd.../256.webp     cached thumbnails of that file
    .../.tmp-*                            a write in progress (or one a killed
                                          process left behind: swept at start-up)

Two levels of two-hex-digit folders keep any one directory small. Identical
bytes share one key, so ONE FILE MAY BACK SEVERAL images rows (different
owners uploading the same picture): delete a key only when no row uses it.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from janus.errors import DISK_FULL_ERRNOS, InsufficientStorage, NotFound, ValidationError

_KEY = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
THUMBNAIL_DIR = "thumbnails"
TEMP_PREFIX = ".tmp-"
MAX_THUMBNAIL_SIZE = 4096


def key_for(sha256_hex: str) -> str:
    return f"{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one.

    The temp file lives in the target directory: os.replace is only atomic
    within one file system.

    A full disk (ENOSPC) or an exhausted quota (EDQUOT) raises
    InsufficientStorage (507), with the OSError as its cause.
    """
    tmp = write_temp(path, data)
    try:
        with _full_disk_is_507():
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _full_disk_is_507():
    try:
        yield
    except OSError as exc:
        if exc.errno in DISK_FULL_ERRNOS:
            raise InsufficientStorage(
                "the file store is full: nothing was stored; retry once space is freed") from exc
        raise


def write_temp(path: Path, data: bytes) -> Path:
    """``data`` written and fsynced to a new ``.tmp-*`` file beside ``path``;
    the caller renames or unlinks it. ENOSPC / EDQUOT raise InsufficientStorage."""
    with _full_disk_is_507():
        return _write(path, data)


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # the data is on disk before the name points at it
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide files from a front server
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return Path(tmp)


class Staged:
    """An original written and fsynced under a temporary name beside its
    final one: the slow part of storing it, done before any lock is taken.
    ``place()`` (under the key's lock) gives it its name if the file is
    missing, a cheap rename; ``discard()`` (or leaving the ``with`` block)
    removes what was not placed."""

    def __init__(self, key: str, tmp: Path, target: Path):
        self.key, self.tmp, self.target = key, tmp, target

    def place(self) -> None:
        if self.tmp is None:
            return
        if self.target.is_file():  # same name, same bytes: keep the one there
            self.discard()
            return
        with _full_disk_is_507():
            os.replace(self.tmp, self.target)
        self.tmp = None

    def discard(self) -> None:
        if self.tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp)
            self.tmp = None

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


class FileStore:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    # -- keys ---------------------------------------------------------------
    @staticmethod
    def check_key(key) -> str:
        """``key`` if it is exactly "ab/cd/<sha256>" with matching prefixes.

        The strict shape (no "..", no separators but the two "/", lower-case
        hex only) is what keeps a key from ever naming a file outside root.
        """
        match = _KEY.fullmatch(key) if isinstance(key, str) else None
        if not match or not match[3].startswith(match[1] + match[2]):
            raise ValidationError.at("$.storage_key", "not a storage key")
        return key

    def path(self, key: str) -> Path:
        return self.root / self.check_key(key)

    # -- originals ----------------------------------------------------------
    @staticmethod
    def key_of(data: bytes) -> str:
        return key_for(hashlib.sha256(data).hexdigest())

    def stage(self, data: bytes) -> Staged:
        """Write ``data`` beside its final name, to be placed under the key's lock."""
        key = self.key_of(data)
        target = self.path(key)
        return Staged(key, write_temp(target, bytes(data)), target)

    def put(self, data: bytes) -> str:
        """Store ``data`` (once per distinct content) and return its key.

        A file already there is kept (same name, same bytes), so while another
        process may delete the key, callers hold its lock
        (janus.services.files.key_lock) around the check and the rename."""
        with self.stage(data) as staged:
            staged.place()
        return staged.key

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self.path(key), "rb")
        except FileNotFoundError:
            raise NotFound("stored file not found") from None

    def delete(self, key: str) -> None:
        """Remove the file and its thumbnails; a missing file is fine."""
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()
        self.delete_thumbnails(key)

    # -- thumbnails ---------------------------------------------------------
    def thumbnail_dir(self, key: str) -> Path:
        return self.root / THUMBNAIL_DIR / self.check_key(key)

    def thumbnail_path(self, key: str, size: int) -> Path:
        if (not isinstance(size, int) or isinstance(size, bool)
                or not 1 <= size <= MAX_THUMBNAIL_SIZE):
            raise ValidationError.at("$.size", f"must be an integer from 1 to {MAX_THUMBNAIL_SIZE}")
        return self.thumbnail_dir(key) / f"{size}.webp"

    def delete_thumbnails(self, key: str) -> None:
        shutil.rmtree(self.thumbnail_dir(key), ignore_errors=True)

    # -- housekeeping -------------------------------------------------------
    def originals(self) -> Iterator[tuple[str, Path]]:
        """(key, path) of every original on disk (anything else is skipped)."""
        for path in self.root.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*"):
            key = path.relative_to(self.root).as_posix()
            if _KEY.fullmatch(key) and path.is_file():
                with contextlib.suppress(ValidationError):
                    yield self.check_key(key), path

    def thumbnail_keys(self) -> Iterator[tuple[str, Path]]:
        """(key, directory) of every thumbnail directory on disk."""
        base = self.root / THUMBNAIL_DIR
        for path in base.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*"):
            key = path.relative_to(base).as_posix()
            if _KEY.fullmatch(key) and path.is_dir():
                with contextlib.suppress(ValidationError):
                    yield self.check_key(key), path

    def temp_files(self) -> Iterator[Path]:
        """Every ``.tmp-*`` file where this store writes (beside originals and
        thumbnails, and probes at the root): writes in progress or left by a
        killed process. Only the store's own layout is walked, so a root
        shared with other files by mistake loses nothing else."""
        for pattern in (f"{TEMP_PREFIX}*", f"??/??/{TEMP_PREFIX}*",
                        f"{THUMBNAIL_DIR}/??/??/*/{TEMP_PREFIX}*"):
            for path in self.root.glob(pattern):
                if path.is_file():
                    yield path

    def probe(self) -> None:
        """Create, write and delete a small file: raises OSError (a full disk:
        InsufficientStorage) when the store cannot be written. No fsync: a
        failing write or create shows a full or read-only disk, and /health
        calls this on every poll. Its name starts with TEMP_PREFIX, so a probe
        a crash left behind is swept like any other temp file."""
        path = self.root / f"{TEMP_PREFIX}probe-{uuid.uuid4().hex}"
        with _full_disk_is_507():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, b"janus storage probe\n")
            finally:
                os.close(fd)
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
