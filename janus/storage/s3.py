"""S3Store: the files in a bucket (JANUS_STORAGE_URL=s3://bucket/prefix),
through boto3, shared by every host.

S3 has no rename and no local lock, so an upload PUTs its object at its
final, content-addressed key before any lock is taken (the slow part), and
``place()``, under the key's lock after the row is inserted, checks with a
HEAD that the object is still there and PUTs it again if a concurrent
release deleted it in between (janus.services.files has the whole order).
Conditional writes (If-None-Match) are not used: rclone and others ignore
them, and a repeated PUT of a content-addressed key writes the same bytes.

Timeouts are short and bounded (a hung store must answer 503 well within
gunicorn's timeout): CONNECT_TIMEOUT and READ_TIMEOUT per attempt, ATTEMPTS
attempts in all (botocore's "standard" retry mode: throttling, 5xx and
connection errors).
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from janus.errors import NotFound, ValidationError
from janus.storage.base import (
    CHUNK,
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
from janus.storage.location import S3Location, S3Settings
from janus.storage.s3errors import is_missing, translated

CONNECT_TIMEOUT = 2.0  # seconds
READ_TIMEOUT = 10.0  # seconds without a byte from the server
ATTEMPTS = 2
# Connections per client (one client per worker process): above gunicorn's
# threads per worker, so no thread waits for a connection.
MAX_POOL = 32


@functools.lru_cache(maxsize=16)
def client_for(settings: S3Settings):
    """One boto3 client per settings (clients are thread-safe, and making one
    costs ~0.1 s of model loading)."""
    config = BotoConfig(
        connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
        retries={"max_attempts": ATTEMPTS, "mode": "standard"},
        max_pool_connections=MAX_POOL,
        # Path-style URLs (endpoint/bucket/key) on a custom endpoint: rclone,
        # MinIO and most self-hosted servers serve no per-bucket host names.
        s3={"addressing_style": "path" if settings.endpoint_url else "auto"},
        # Checksums only where S3 requires them: newer botocore's default
        # trailing CRC32 is unknown to several S3-compatible servers.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required")
    session = boto3.session.Session(aws_access_key_id=settings.access_key_id,
                                    aws_secret_access_key=settings.secret_access_key,
                                    region_name=settings.region)
    return session.client("s3", endpoint_url=settings.endpoint_url, config=config)


# A forked process (a gunicorn worker, after the master's start-up probe in
# janus.startup) makes its own clients: sharing the parent's pooled sockets
# would interleave two processes' requests on one connection.
os.register_at_fork(after_in_child=client_for.cache_clear)


class _Stream:
    """A GET's body as chunks; a failure half-way is a 503 like any other."""

    def __init__(self, body, where: str):
        self.body, self.where = body, where

    def __iter__(self) -> Iterator[bytes]:
        with translated("read a file", self.where):
            yield from self.body.iter_chunks(CHUNK)

    def close(self) -> None:
        self.body.close()


class S3Staged(Staged):
    """PUT at its key already; ``place()`` puts it back if it went since."""

    def __init__(self, store: S3Store, key: str, data: bytes):
        super().__init__(key)
        self.store, self.data = store, data
        store._put(key, data, "store a file")

    def place(self) -> None:
        if not self.store.exists(self.key):
            self.store._put(self.key, self.data, "store a file")


class S3Store(Store):
    kind = "s3"

    def __init__(self, location: S3Location, settings: S3Settings):
        self.location, self.settings = location, settings
        self.bucket, self.where = location.bucket, location.url
        self.client = client_for(settings)

    def _put(self, name: str, data: bytes, action: str) -> None:
        with translated(action, self.where):
            self.client.put_object(Bucket=self.bucket, Key=self.location.key(name),
                                   Body=bytes(data))

    def _get(self, name: str, action: str) -> Blob | None:
        with translated(action, self.where):
            try:
                reply = self.client.get_object(Bucket=self.bucket, Key=self.location.key(name))
            except ClientError as exc:
                if is_missing(exc):
                    return None
                raise
        return Blob(int(reply["ContentLength"]), _Stream(reply["Body"], self.where))

    def _delete(self, name: str) -> None:
        with translated("delete a file", self.where):  # a missing key is no error in S3
            self.client.delete_object(Bucket=self.bucket, Key=self.location.key(name))

    def _list(self, under: str = "") -> Iterator[dict]:
        paginator = self.client.get_paginator("list_objects_v2")
        with translated("list files", self.where):
            for page in paginator.paginate(Bucket=self.bucket,
                                           Prefix=self.location.key(under)):
                yield from page.get("Contents") or ()

    # -- originals ----------------------------------------------------------------------
    def stage(self, data: bytes) -> S3Staged:
        return S3Staged(self, key_of(data), data)

    def exists(self, key: str) -> bool:
        with translated("check a file", self.where):
            try:
                self.client.head_object(Bucket=self.bucket, Key=self.location.key(check_key(key)))
            except ClientError as exc:
                if is_missing(exc):
                    return False
                raise
        return True

    def open(self, key: str) -> Blob:
        blob = self._get(check_key(key), "read a file")
        if blob is None:
            raise NotFound("stored file not found")
        return blob

    def delete(self, key: str) -> None:
        self._delete(check_key(key))
        self.delete_thumbnails(key)

    # -- thumbnails ---------------------------------------------------------------------
    def open_thumbnail(self, key: str, size: int) -> Blob | None:
        return self._get(thumbnail_name(key, size), "read a thumbnail")

    def put_thumbnail(self, key: str, size: int, data: bytes) -> None:
        self._put(thumbnail_name(key, size), data, "store a thumbnail")

    def delete_thumbnails(self, key: str) -> None:
        start = len(self.location.prefix)
        for item in list(self._list(f"{THUMBNAIL_DIR}/{check_key(key)}/")):
            self._delete(item["Key"][start:])

    # -- housekeeping -----------------------------------------------------------------------
    def listing(self) -> Iterator[Listed]:
        start = len(self.location.prefix)
        for item in self._list():
            name = item["Key"][start:]
            if in_layout(name):
                yield Listed(name, item["LastModified"].timestamp(), int(item["Size"]))

    def remove(self, name: str) -> None:
        if not in_layout(name):
            raise ValidationError.at("$.name", "not a name in the file store's layout")
        self._delete(name)

    def probe(self) -> None:
        name = f"{TEMP_PREFIX}probe-{uuid.uuid4().hex}"
        self._put(name, b"janus storage probe\n", "write a probe")
        self._delete(name)

    @contextlib.contextmanager
    def sweep_guard(self) -> Iterator[bool]:
        """One sweeper per host and bucket prefix: a flock on a file in the
        temp directory named after the store (workers start together)."""
        digest = hashlib.sha256(f"{self.settings.endpoint_url} {self.where}".encode())
        path = os.path.join(tempfile.gettempdir(), f"janus-sweep-{digest.hexdigest()[:16]}.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)
