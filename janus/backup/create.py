"""Taking a backup while the service runs: the database snapshot FIRST, then the files
its rows reference, retried with a fresh snapshot when one was deleted meanwhile.
Why that order is safe: docs/backups.md, "Why the database first, the files second".
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from janus.backup import archive, files, postgres, sqlite
from janus.backup.common import BackupError, backend_of
from janus.backup.contents import Snapshot
from janus.backup.manifest import DATABASE_MEMBERS, MANIFEST_NAME, Manifest
from janus.storage import LocalStore, Store

ATTEMPTS = 3


@dataclasses.dataclass
class Created:
    path: Path
    manifest: Manifest
    seconds: float
    attempts: int
    pruned: list[Path]


def create_backup(database_url: str, store: Store | Path, to_dir: Path, *,
                  keep: int | None = None, compress: bool = False,
                  on_snapshot: Callable[[Snapshot, int], None] | None = None,
                  attempts: int = ATTEMPTS) -> Created:
    """Write one archive of ``database_url`` and ``store`` (a Store, or a
    local folder) into ``to_dir``.

    ``on_snapshot(snapshot, attempt)`` runs after each database snapshot and
    before any file is copied (tests use it to act in that window)."""
    begun = time.monotonic()
    backend = backend_of(database_url)
    if backend == "postgresql":
        postgres.tool("pg_dump")  # before anything is created
    store = store if isinstance(store, Store) else LocalStore(Path(store))
    to_dir = archive.private_folder(Path(to_dir).resolve())
    vanished = None
    for attempt in range(1, attempts + 1):
        started = datetime.now(UTC)
        with tempfile.TemporaryDirectory(dir=to_dir, prefix=".janus-backup-work-") as work:
            dump = Path(work) / "database"
            if backend == "sqlite":
                snap = sqlite.snapshot(sqlite.path_of(database_url), dump)
            else:
                snap = postgres.snapshot(database_url, dump)
            if on_snapshot is not None:
                on_snapshot(snap, attempt)
            writer = archive.ArchiveWriter(to_dir, compress)
            try:
                db_entry = writer.add_path(DATABASE_MEMBERS[backend], dump)
                os.unlink(dump)  # in the archive now; free the space early
                entries = files.copy_into(writer, store, snap.storage_keys)
                manifest = Manifest(
                    created_at=started.strftime("%Y-%m-%dT%H:%M:%SZ"), backend=backend,
                    database=db_entry, migrations=snap.migrations, counts=snap.counts,
                    storage_keys=snap.storage_keys, files=entries)
                writer.add_bytes(MANIFEST_NAME, manifest.to_json())
                path = writer.commit(started)
            except files.Vanished as exc:
                writer.abort()
                vanished = exc
                continue
            except BaseException:
                writer.abort()
                raise
        pruned = archive.prune(to_dir, keep) if keep else []
        return Created(path, manifest, time.monotonic() - begun, attempt, pruned)
    raise BackupError(
        f"{len(vanished.keys)} file(s) referenced by the database are missing from "
        f"{store.where} ({attempts} snapshots tried), e.g. {vanished.keys[0]}: "
        "the file store is damaged; no backup written")
