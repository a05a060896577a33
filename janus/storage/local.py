"""LocalStore: the files in a folder on this host (JANUS_STORAGE_DIR).

Writes go to a ``.tmp-*`` file beside the final name, are fsynced, and are
renamed into place: readers see the old file or the whole new one, and a
rename is cheap enough to do under the key's lock.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from janus.errors import DISK_FULL_ERRNOS, InsufficientStorage, NotFound, ValidationError
from janus.storage.base import (
    TEMP_PREFIX,
    THUMBNAIL_DIR,
    Blob,
    Listed,
    Staged,
    Store,
    check_key,
    in_layout,
    key_of,
    thumbnail_name,
)

# The store's own layout (base's docstring): nothing else under root is listed.
_PATTERNS = (f"{TEMP_PREFIX}*", "[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*",
             f"{THUMBNAIL_DIR}/[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*/*")


@contextlib.contextmanager
def full_disk_is_507():
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
    with full_disk_is_507():
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


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new
    one (the temp file lives beside it: os.replace is atomic within one file
    system). A full disk raises InsufficientStorage (507)."""
    tmp = write_temp(path, data)
    try:
        with full_disk_is_507():
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class LocalStaged(Staged):
    """Written and fsynced under a temp name; ``place()`` renames it to the
    key if the key's file is missing (same name, same bytes: else dropped)."""

    def __init__(self, key: str, tmp: Path, target: Path):
        super().__init__(key)
        self.tmp, self.target = tmp, target

    def place(self) -> None:
        if self.tmp is None:
            return
        if self.target.is_file():
            self.discard()
            return
        with full_disk_is_507():
            os.replace(self.tmp, self.target)
        self.tmp = None

    def discard(self) -> None:
        if self.tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp)
            self.tmp = None


class LocalStore(Store):
    kind = "local"

    def __init__(self, root: Path, create: bool = False):
        """``create``: make the folder now (the service does at start-up);
        else it is made by the first write, so a command that stops at a
        check leaves nothing behind."""
        self.root = Path(root).resolve()
        if create:
            self.root.mkdir(parents=True, exist_ok=True)
        self.where = str(self.root)

    def _path(self, name: str) -> Path:
        return self.root / name

    # -- originals ------------------------------------------------------------------
    def stage(self, data: bytes) -> LocalStaged:
        key = key_of(data)
        target = self._path(key)
        return LocalStaged(key, write_temp(target, bytes(data)), target)

    def exists(self, key: str) -> bool:
        return self._path(check_key(key)).is_file()

    def open(self, key: str) -> Blob:
        return self._open(check_key(key)) or _not_found()

    def _open(self, name: str) -> Blob | None:
        try:
            fh = open(self._path(name), "rb")  # noqa: SIM115 - the Blob's taker closes it
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        return Blob(os.fstat(fh.fileno()).st_size, fh)

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(check_key(key)).unlink()
        self.delete_thumbnails(key)

    # -- thumbnails -------------------------------------------------------------------
    def open_thumbnail(self, key: str, size: int) -> Blob | None:
        return self._open(thumbnail_name(key, size))

    def put_thumbnail(self, key: str, size: int, data: bytes) -> None:
        atomic_write(self._path(thumbnail_name(key, size)), data)

    def delete_thumbnails(self, key: str) -> None:
        shutil.rmtree(self.root / THUMBNAIL_DIR / check_key(key), ignore_errors=True)

    # -- housekeeping -------------------------------------------------------------------
    def listing(self) -> Iterator[Listed]:
        for pattern in _PATTERNS:
            for path in self.root.glob(pattern):
                try:
                    stat = path.lstat()
                except FileNotFoundError:  # removed while we looked
                    continue
                name = path.relative_to(self.root).as_posix()
                if in_layout(name) and path.is_file() and not path.is_symlink():
                    yield Listed(name, stat.st_mtime, stat.st_size)

    def remove(self, name: str) -> None:
        if not in_layout(name):
            raise ValidationError.at("$.name", "not a name in the file store's layout")
        path = self._path(name)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        for parent in path.parents:  # the folders it leaves empty go too
            if parent == self.root:
                break
            try:
                parent.rmdir()
            except OSError:  # not empty (or gone): stop
                break

    def probe(self) -> None:
        """No fsync: a failing create or write shows a full or read-only disk,
        and /health calls this on every poll. The name starts with
        TEMP_PREFIX, so a probe a crash left behind is swept like any temp file."""
        path = self.root / f"{TEMP_PREFIX}probe-{uuid.uuid4().hex}"
        with full_disk_is_507():
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, b"janus storage probe\n")
            finally:
                os.close(fd)
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    @contextlib.contextmanager
    def sweep_guard(self) -> Iterator[bool]:
        """A non-blocking flock on the root: one sweeper per host at a time."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # and with it the flock


def _not_found():
    raise NotFound("stored file not found")
