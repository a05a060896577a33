"""Archives on disk: names, writing, verifying, reading back and pruning.

An archive is one tar file (``.tar``, or ``.tar.gz`` with ``--gzip``) named
``janus-backup-YYYYMMDDTHHMMSSZ.tar`` after the UTC time the backup started
(``-2``, ``-3`` ... when that second is taken). It is written under a hidden
``.partial`` name in the target directory, flushed to disk, and only then
linked to its final name, so a crash never leaves a half archive that looks
finished. Every member is hashed while it is written; the manifest goes last.

Reading never uses ``tarfile``'s extraction: only regular members named in
the manifest are read, and the caller decides where their bytes go.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tarfile
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from janus.backup.common import BackupError
from janus.backup.manifest import MANIFEST_NAME, Entry, Manifest

# Archives hold password and token hashes, emails and addresses: only the
# owner (the service's user) may read them, or list the folder they are in.
ARCHIVE_MODE = 0o600
FOLDER_MODE = 0o700
NAME = re.compile(r"janus-backup-(\d{8}T\d{6}Z)(?:-(\d+))?\.tar(?:\.gz)?")
CHUNK = 1024 * 1024
# Anything tarfile or the decompressor raises on a damaged file.
DAMAGE = (tarfile.TarError, EOFError, zlib.error, OSError, ValueError)


def archive_name(started: datetime, seq: int = 1, compress: bool = False) -> str:
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    return f"janus-backup-{stamp}{'' if seq == 1 else f'-{seq}'}.tar{'.gz' if compress else ''}"


def archives(directory: Path) -> list[Path]:
    """The archives in ``directory``, oldest first (by the time in their name)."""
    found = []
    for path in Path(directory).iterdir() if Path(directory).is_dir() else ():
        match = NAME.fullmatch(path.name)
        if match and path.is_file():
            found.append(((match[1], int(match[2] or 1)), path))
    return [path for _key, path in sorted(found)]


def private_folder(directory: Path) -> Path:
    """``directory``, created (with its missing parents) 0700 if it is not
    there; an existing one keeps the mode its owner gave it."""
    directory = Path(directory)
    try:
        directory.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create backup dir {directory}: "
                          f"{exc.strerror or exc}") from None
    return directory


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives; return what was deleted.
    Files not named like an archive are never touched."""
    old = archives(directory)[:-keep] if keep > 0 else []
    for path in old:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return old


class _Hashing(io.RawIOBase):
    """A reader that hashes and counts what passes through it."""

    def __init__(self, raw: BinaryIO):
        self.raw, self.hash, self.size = raw, hashlib.sha256(), 0

    def readable(self):
        return True

    def read(self, n=-1):
        data = self.raw.read(n)
        self.hash.update(data)
        self.size += len(data)
        return data


class ArchiveWriter:
    """Builds one archive under a temporary name; ``commit`` publishes it."""

    def __init__(self, directory: Path, compress: bool = False):
        self.directory, self.compress = Path(directory), compress
        self.tmp = self.directory / f".janus-backup-{os.getpid()}-{time.monotonic_ns()}.partial"
        # Both stay open across calls: commit() or abort() closes them.
        # 0600 from its creation (whatever the umask), so no other user can
        # open it even while it is written; os.link keeps the mode.
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, ARCHIVE_MODE)
        os.fchmod(fd, ARCHIVE_MODE)
        self._file = open(fd, "wb")  # noqa: SIM115
        mode = "w:gz" if compress else "w"
        self._tar = tarfile.open(fileobj=self._file, mode=mode,  # noqa: SIM115
                                 format=tarfile.PAX_FORMAT)
        self.mtime = int(time.time())

    def _info(self, member: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(member)
        info.size, info.mtime, info.mode = size, self.mtime, 0o644
        return info

    def add_stream(self, member: str, fh: BinaryIO, size: int | None = None) -> Entry:
        """Add an open file (or a reader of ``size`` bytes) whose size is fixed
        (stored files never change)."""
        if size is None:
            size = os.fstat(fh.fileno()).st_size
        reader = _Hashing(fh)
        self._tar.addfile(self._info(member, size), reader)
        if reader.size != size:
            raise BackupError(f"{member} changed size while it was copied")
        return Entry(member, size, reader.hash.hexdigest())

    def add_path(self, member: str, path: Path) -> Entry:
        with open(path, "rb") as fh:
            return self.add_stream(member, fh)

    def add_bytes(self, member: str, data: bytes) -> Entry:
        self._tar.addfile(self._info(member, len(data)), io.BytesIO(data))
        return Entry(member, len(data), hashlib.sha256(data).hexdigest())

    def commit(self, started: datetime) -> Path:
        """Finish the tar, flush it to disk and give it its final name."""
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        # After the newest archive of the same second (never into a gap that
        # pruning left, which would sort the new archive before older ones).
        stamp = archive_name(started)[len("janus-backup-"):][:16]
        taken = [int(m[2] or 1) for p in self.directory.iterdir()
                 if (m := NAME.fullmatch(p.name)) and m[1] == stamp]
        seq = max(taken, default=0) + 1
        while True:
            final = self.directory / archive_name(started, seq, self.compress)
            try:
                os.link(self.tmp, final)  # never replaces an existing archive
            except FileExistsError:
                seq += 1
                continue
            break
        self.tmp.unlink()
        _fsync_dir(self.directory)
        return final

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._tar.close()
        with contextlib.suppress(Exception):
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _open(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        with tarfile.open(path, "r:*") as tar:
            yield tar
    except BackupError:
        raise
    except DAMAGE as exc:
        raise BackupError(f"damaged archive {path}: {exc or type(exc).__name__}") from None


def _copy(src: BinaryIO, dest: BinaryIO | None) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := src.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if dest is not None:
            dest.write(chunk)
    return size, digest.hexdigest()


def verify(path: Path) -> Manifest:
    """Read the whole archive once; return its manifest if every member is
    exactly what the manifest says (and nothing else is there).
    Raises BackupError naming the first problem."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"archive {path} does not exist")
    seen: dict[str, tuple[int, str]] = {}
    manifest_bytes = None
    with _open(path) as tar:
        try:
            for info in tar:
                if not info.isfile() or info.name in seen:
                    raise BackupError(f"damaged archive {path}: unexpected member {info.name!r}")
                with tar.extractfile(info) as fh:
                    if info.name == MANIFEST_NAME:
                        manifest_bytes = fh.read()
                        seen[info.name] = (len(manifest_bytes), "")
                    else:
                        seen[info.name] = _copy(fh, None)
        except BackupError:
            raise
        except DAMAGE as exc:
            raise BackupError(f"damaged archive {path}: {exc or type(exc).__name__}") from None
    if manifest_bytes is None:
        raise BackupError(f"damaged archive {path}: no {MANIFEST_NAME}")
    manifest = Manifest.from_json(manifest_bytes)
    expected = manifest.members()
    extra = sorted(set(seen) - set(expected) - {MANIFEST_NAME})
    if extra:
        raise BackupError(f"damaged archive {path}: member {extra[0]!r} is not in the manifest")
    for name, entry in expected.items():
        if name not in seen:
            raise BackupError(f"damaged archive {path}: {name} is missing")
        if seen[name] != (entry.size, entry.sha256):
            raise BackupError(f"damaged archive {path}: {name} does not match its checksum")
    return manifest


def read_members(path: Path, manifest: Manifest,
                 wanted: Callable[[Entry], bool]) -> Iterator[tuple[Entry, bytes]]:
    """(entry, bytes) of each member ``wanted`` picks, checked against the
    manifest again on the way (for members small enough to hold whole:
    stored files; the database goes through ``extract``)."""
    members = manifest.members()
    with _open(path) as tar:
        for info in tar:
            entry = members.get(info.name)
            if entry is None or not info.isfile() or not wanted(entry):
                continue
            try:
                with tar.extractfile(info) as src:
                    data = src.read()
            except DAMAGE as exc:
                raise BackupError(f"damaged archive {path}: {info.name}: "
                                  f"{exc or type(exc).__name__}") from None
            if (len(data), hashlib.sha256(data).hexdigest()) != (entry.size, entry.sha256):
                raise BackupError(f"damaged archive {path}: {info.name} changed "
                                  "since it was verified")
            yield entry, data


def extract(path: Path, manifest: Manifest,
            destination: Callable[[Entry], Path | None]) -> int:
    """Write each member that ``destination`` maps to a path, checking its
    checksum again on the way: a member's bytes reach their final name (by
    rename) only when they match. Returns how many were written."""
    members = manifest.members()
    written = 0
    with _open(path) as tar:
        for info in tar:
            entry = members.get(info.name)
            target = destination(entry) if entry is not None and info.isfile() else None
            if target is None:
                continue
            tmp = target.with_name(f".tmp-restore-{target.name}")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(info) as src, open(tmp, "wb") as dest:
                    size, digest = _copy(src, dest)
                    dest.flush()
                    os.fsync(dest.fileno())
                if (size, digest) != (entry.size, entry.sha256):
                    raise BackupError(f"damaged archive {path}: {info.name} changed "
                                      "since it was verified")
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
            except BackupError:
                raise
            except DAMAGE as exc:
                raise BackupError(f"restoring {info.name} to {target} failed: "
                                  f"{exc or type(exc).__name__}") from None
            finally:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
            written += 1
    return written
