"""The store interface both stores implement, and the layout they share.

Keys are content-addressed: an original's key is ``ab/cd/<sha256>`` (two
levels of two-hex-digit folders keep any one directory or listing page
small). Identical bytes share one key, so ONE OBJECT MAY BACK SEVERAL images
rows: delete a key only when no row uses it (janus.services.files.release).

Names inside a store (a folder's relative paths, a bucket's keys under its
prefix)::

    ab/cd/abcd...<64 hex>                 the original bytes
    thumbnails/ab/cd/abcd.../256.webp     cached thumbnails of that original
    .tmp-*  (beside either, or at the top) a write in progress, or one a killed
                                          process left behind (swept at start-up)
"""
from __future__ import annotations

import abc
import contextlib
import dataclasses
import hashlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from janus.errors import ServiceUnavailable, ValidationError

KEY = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
THUMBNAIL = re.compile(r"thumbnails/([0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64})/([0-9]{1,4})\.webp")
THUMBNAIL_DIR = "thumbnails"
TEMP_PREFIX = ".tmp-"
MAX_THUMBNAIL_SIZE = 4096
CHUNK = 256 * 1024  # bytes per read when streaming a stored object


class StoreUnreachable(ServiceUnavailable):
    """503: no connection to the store, or no answer in time."""


class StoreRefused(ServiceUnavailable):
    """503: the store answered with a refusal (access denied, no such bucket,
    read-only, a server error): the operator's to fix, never a 500."""


def key_for(sha256_hex: str) -> str:
    return f"{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}"


def key_of(data: bytes) -> str:
    return key_for(hashlib.sha256(data).hexdigest())


def check_key(key) -> str:
    """``key`` if it is exactly "ab/cd/<sha256>" with matching prefixes.

    The strict shape (no "..", no separators but the two "/", lower-case hex
    only) is what keeps a key from ever naming anything outside the store."""
    match = KEY.fullmatch(key) if isinstance(key, str) else None
    if not match or not match[3].startswith(match[1] + match[2]):
        raise ValidationError.at("$.storage_key", "not a storage key")
    return key


def is_key(key) -> bool:
    try:
        check_key(key)
    except ValidationError:
        return False
    return True


def check_thumbnail_size(size) -> int:
    if (not isinstance(size, int) or isinstance(size, bool)
            or not 1 <= size <= MAX_THUMBNAIL_SIZE):
        raise ValidationError.at("$.size", f"must be an integer from 1 to {MAX_THUMBNAIL_SIZE}")
    return size


def thumbnail_name(key: str, size: int) -> str:
    """Where the ``size`` thumbnail of ``key`` lives, relative to the store."""
    return f"{THUMBNAIL_DIR}/{check_key(key)}/{check_thumbnail_size(size)}.webp"


_TEMP_HOME = re.compile(r"(?:[0-9a-f]{2}/[0-9a-f]{2}/"
                        r"|thumbnails/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}/)?"
                        r"\.tmp-[A-Za-z0-9._-]+")


def in_layout(name) -> bool:
    """``name`` (relative to the store) is an original, a thumbnail or a temp
    file where the store writes them: the only names ``Store.remove`` takes."""
    return isinstance(name, str) and (is_key(name) or parse_thumbnail(name) is not None
                                      or bool(_TEMP_HOME.fullmatch(name)))


def parse_thumbnail(name: str) -> tuple[str, int] | None:
    """(key, size) of a thumbnail's relative name, or None."""
    match = THUMBNAIL.fullmatch(name)
    if not match or not is_key(match[1]) or not 1 <= int(match[2]) <= MAX_THUMBNAIL_SIZE:
        return None
    return match[1], int(match[2])


@dataclasses.dataclass
class Blob:
    """Stored bytes on their way out: ``size`` and ``body``, something a WSGI
    server can send as it is (an open file, which gunicorn sends with
    sendfile, or an iterable of chunks with ``close()``). Whoever takes the
    blob reads and closes it once."""
    size: int
    body: Any

    @classmethod
    def of(cls, data: bytes) -> Blob:
        return cls(len(data), [data])

    def chunks(self) -> Iterator[bytes]:
        if hasattr(self.body, "read"):
            while chunk := self.body.read(CHUNK):
                yield chunk
        else:
            yield from self.body

    def read(self) -> bytes:
        """Every byte (and the blob closed)."""
        try:
            return b"".join(self.chunks())
        finally:
            self.close()

    def close(self) -> None:
        close = getattr(self.body, "close", None)
        if close is not None:
            close()


class Staged(abc.ABC):
    """An original stored before any lock is taken (the slow part).

    ``place()``, called under the key's lock after the row is inserted,
    makes sure the object is at its key; ``discard()`` (or leaving the
    ``with`` block) drops what was not placed. See janus.services.files."""

    def __init__(self, key: str):
        self.key = key

    @abc.abstractmethod
    def place(self) -> None: ...

    def discard(self) -> None:  # noqa: B027 - a default, not an abstract method
        """Drop what ``place`` did not use; the default has nothing to drop."""

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


@dataclasses.dataclass(frozen=True)
class Listed:
    """One object of a listing: its name relative to the store, when it was
    last written (seconds since the epoch) and its size."""
    name: str
    mtime: float
    size: int


class Store(abc.ABC):
    """What Janus needs from a place to keep files. Every caller goes through
    this; none sees a local path. Reads that find nothing raise NotFound;
    an unreachable store ServiceUnavailable (503); a full one
    InsufficientStorage (507)."""

    #: "local" or "s3"
    kind: str
    #: where it is, for messages and logs (a folder, or s3://bucket/prefix)
    where: str

    # -- originals ----------------------------------------------------------------
    @abc.abstractmethod
    def stage(self, data: bytes) -> Staged:
        """Store ``data`` under its key as far as can be done without the
        key's lock; ``place()`` finishes it under the lock."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (once per distinct content) and return its key. While
        another process may release the key, hold its lock around this
        (janus.services.files.key_lock)."""
        with self.stage(data) as staged:
            staged.place()
        return staged.key

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def open(self, key: str) -> Blob:
        """The original's bytes as a stream (NotFound when it is not there)."""

    def read(self, key: str) -> bytes:
        return self.open(key).read()

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the original and its thumbnails; a missing one is fine."""

    # -- thumbnails ----------------------------------------------------------------
    @abc.abstractmethod
    def open_thumbnail(self, key: str, size: int) -> Blob | None:
        """The cached thumbnail, or None when there is none yet."""

    @abc.abstractmethod
    def put_thumbnail(self, key: str, size: int, data: bytes) -> None: ...

    @abc.abstractmethod
    def delete_thumbnails(self, key: str) -> None: ...

    # -- housekeeping, backups and copies -------------------------------------------
    @abc.abstractmethod
    def listing(self) -> Iterable[Listed]:
        """Every object in the store's layout: originals, thumbnails and
        temp files (anything else under the root or prefix is left out)."""

    @abc.abstractmethod
    def remove(self, name: str) -> None:
        """Remove one listed object by name (a temp file, or a thumbnail
        nothing uses); a missing one is fine."""

    @abc.abstractmethod
    def probe(self) -> None:
        """Write and remove a small temp object: raises when the store cannot
        be written (InsufficientStorage when it is full)."""

    @abc.abstractmethod
    def sweep_guard(self) -> contextlib.AbstractContextManager[bool]:
        """A context that yields False when another sweeper on this host
        holds it (the sweep then skips); sweepers on other hosts stay safe
        because every removal is re-checked under the key's lock."""
