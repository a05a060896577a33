"""Archives in a bucket: ``create --to s3://bucket/prefix`` and
``restore s3://bucket/prefix/janus-backup-....tar``, as PocketBase's S3
backups do.

An archive is built and verified on local disk first (in a temporary
folder under the backup dir), exactly as a local one, and only then
uploaded (multipart for large ones) under the same name; pruning (--keep)
lists the prefix and deletes all but the newest N archives there. A restore
downloads the archive to a temporary folder and restores from that, so the
bucket is read once and every check of a local restore applies.
"""
from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from janus.backup.archive import NAME, private_folder
from janus.backup.common import BackupError
from janus.errors import JanusError
from janus.storage import S3Location, S3Settings


def _client(settings: S3Settings):
    from janus.storage.s3 import client_for  # boto3 loads only when a bucket is used
    return client_for(settings)


@contextlib.contextmanager
def _errors(where: str, action: str) -> Iterator[None]:
    from janus.storage.s3errors import translated
    try:
        with translated(action, where):
            yield
    except JanusError as exc:
        raise BackupError(f"{where}: {exc.message}") from None


def parse(url: str, what: str) -> S3Location:
    try:
        return S3Location.parse(url)
    except ValueError as exc:
        raise BackupError(f"{what} {exc}") from None


def archive_names(location: S3Location, settings: S3Settings) -> list[str]:
    """The archive names directly under the prefix, oldest first."""
    client, found = _client(settings), []
    with _errors(location.url, "list archives"):
        for page in client.get_paginator("list_objects_v2").paginate(
                Bucket=location.bucket, Prefix=location.prefix, Delimiter="/"):
            for item in page.get("Contents") or ():
                name = item["Key"][len(location.prefix):]
                match = NAME.fullmatch(name)
                if match:
                    found.append(((match[1], int(match[2] or 1)), name))
    return [name for _key, name in sorted(found)]


def publish(path: Path, location: S3Location, settings: S3Settings,
            keep: int | None = None) -> tuple[str, list[str]]:
    """Upload the finished archive ``path``; return its URL and the URLs of
    the archives --keep pruned. The name never replaces an existing archive
    (a second archive in the same second gets the next free number)."""
    client = _client(settings)
    taken = set(archive_names(location, settings))
    name = path.name
    if name in taken:
        match = NAME.fullmatch(name)
        stem = name[:len("janus-backup-") + 16]
        suffix = name[match.end(2) if match[2] else len(stem):]
        seq = 2
        while f"{stem}-{seq}{suffix}" in taken:
            seq += 1
        name = f"{stem}-{seq}{suffix}"
    with _errors(location.url, "store the archive"):
        client.upload_file(str(path), location.bucket, location.key(name))
    pruned = []
    if keep:
        old = archive_names(location, settings)[:-keep]
        with _errors(location.url, "delete an old archive"):
            for stale in old:
                client.delete_object(Bucket=location.bucket, Key=location.key(stale))
                pruned.append(f"{location.url}/{stale}")
    return f"{location.url}/{name}", pruned


@contextlib.contextmanager
def fetched(url: str, settings: S3Settings, staging: Path) -> Iterator[Path]:
    """The archive at ``url`` (s3://bucket/prefix/janus-backup-....tar),
    downloaded into a temporary folder under ``staging`` for the block."""
    location = parse(url, "ARCHIVE")
    parent, _, name = location.prefix.rstrip("/").rpartition("/")
    if not NAME.fullmatch(name):
        raise BackupError(f"ARCHIVE {url} does not name an archive "
                          "(s3://bucket/prefix/janus-backup-YYYYMMDDTHHMMSSZ.tar[.gz])")
    private_folder(staging)
    with tempfile.TemporaryDirectory(dir=staging, prefix=".janus-restore-") as work:
        local = Path(work) / name
        client = _client(settings)
        try:
            with _errors(url, "read the archive"):
                client.download_file(location.bucket, location.prefix.rstrip("/"), str(local))
        except BackupError as exc:
            if "not found" in str(exc):
                raise BackupError(f"archive {url} does not exist") from None
            raise
        yield local
