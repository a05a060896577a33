"""Restoring an archive, checking everything before touching anything.

1. Verify: read the whole archive; every member must match the manifest's
   size and SHA-256 and nothing unlisted may be there. Extract the database
   to a staging name (beside the SQLite target, or a temporary directory for
   PostgreSQL) and check it: ``PRAGMA integrity_check`` / ``pg_restore --list``.
2. Refuse, without --force, a target database with rows in ``users`` or a
   file store (folder or bucket prefix) holding any file.
3. Files first: write every stored file to the target's store, whichever it
   is (checksum first, then a temp file and rename, or one PUT), so an
   archive of a local store can rebuild a bucket and the other way round.
   As in a backup, a restored row must never lack its file, so the files are
   in place before the database that references them.
4. Database: SQLite is migrated to the latest migration in its staging file,
   then renamed over the target; PostgreSQL is replaced in one transaction and
   then migrated. Row counts are compared with the manifest before migrating.
5. With --force, originals and thumbnails the archive does not hold are
   removed from the store (after the new database is in place).

Any failure in steps 1-2 leaves the target database and store exactly as
they were.

Before all that, whatever --force says: no Janus service may be using the
target database (janus.in_use). On SQLite the restore holds the exclusive
lock until the new file is in place, so no service starts on it meanwhile;
on PostgreSQL it looks for the service's sessions once, before step 2.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path

from janus import in_use
from janus.backup import archive, files, postgres, sqlite
from janus.backup.common import BackupError, backend_of
from janus.backup.manifest import STORAGE_PREFIX, Manifest
from janus.db import shown_url
from janus.errors import JanusError
from janus.migrate import MigrateError, apply_pending
from janus.storage import LocalStore, Store


@dataclasses.dataclass
class Restored:
    manifest: Manifest
    files: int
    removed: int
    migrated: list[str]
    seconds: float


def migrate(url: str) -> list[str]:
    """Apply pending migrations (janus-migrate's own path); return their names."""
    try:
        return apply_pending(url)
    except MigrateError as exc:
        raise BackupError(f"migrating the restored database failed: {exc}") from None


def _check_counts(found: dict[str, int], manifest: Manifest) -> None:
    for table, expected in manifest.counts.items():
        if found.get(table) != expected:
            raise BackupError(f"restored {table} has {found.get(table)} rows, "
                              f"the manifest says {expected}")


@contextlib.contextmanager
def _nobody_serving(database_url: str, backend: str):
    """Refuse a SQLite target a Janus service is using, and keep it ours
    (PostgreSQL: ``postgres.refuse_if_served``, once the archive is known
    to be PostgreSQL's)."""
    if backend == "postgresql":
        yield
        return
    target = sqlite.path_of(database_url)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create {target.parent}: {exc.strerror or exc}") from None
    try:
        with in_use.exclusive(target):
            yield
    except in_use.InUse as exc:
        raise BackupError(f"{exc}; nothing was changed") from None


def restore_backup(archive_path: Path, database_url: str, store: Store | Path, *,
                   force: bool = False) -> Restored:
    """``store``: a Store, or a local folder."""
    backend = backend_of(database_url)
    with _nobody_serving(database_url, backend):
        return _restore(archive_path, database_url, store, backend, force)


def _restore(archive_path: Path, database_url: str, store: Store | Path, backend: str,
             force: bool) -> Restored:
    begun = time.monotonic()
    archive_path = Path(archive_path)
    if not isinstance(store, Store):
        store = _local(Path(store))
    manifest = archive.verify(archive_path)
    if manifest.backend != backend:
        raise BackupError(f"the archive holds a {manifest.backend} database; "
                          f"{shown_url(database_url)} is {backend}")
    if backend == "postgresql":
        postgres.tool("pg_restore")
        postgres.tool("psql")
        postgres.refuse_if_served(database_url)
        work = Path(tempfile.mkdtemp(prefix="janus-restore-"))
        staged = work / "database.pgdump"
    else:
        target = sqlite.path_of(database_url)
        work = None
        staged = target.with_name(f".{target.name}.restore-{os.getpid()}")
    try:
        archive.extract(archive_path, manifest,
                        lambda e: staged if e.path == manifest.database.path else None)
        if backend == "sqlite":
            sqlite.check_copy(staged)
            db_reason = sqlite.occupied(target)
        else:
            postgres.check_dump(staged)
            db_reason = postgres.occupied(database_url)
        reasons = [r for r in (db_reason, _occupied(store)) if r]
        if reasons and not force:
            raise BackupError(f"{'; '.join(reasons)}: not overwriting without --force")

        written = _restore_files(archive_path, manifest, store)
        if backend == "sqlite":
            _check_counts(sqlite.row_counts(staged), manifest)
            migrated = migrate(f"sqlite:///{staged}")
            sqlite.single_file(staged)
            sqlite.install(staged, target)
        else:
            postgres.restore(database_url, staged)
            _check_counts(postgres.row_counts(database_url), manifest)
            migrated = migrate(database_url)
        removed = 0
        if force:
            keep = {e.path[len(STORAGE_PREFIX):] for e in manifest.files}
            removed = _store_call(store, files.remove_others, store, keep)
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{staged}{suffix}").unlink(missing_ok=True)
    return Restored(manifest, written, removed, migrated, time.monotonic() - begun)


def _local(root: Path) -> LocalStore:
    try:
        return LocalStore(root)
    except OSError as exc:
        raise BackupError(f"cannot create storage dir {root}: {exc.strerror or exc}") from None


def _store_call(store: Store, call, *args):
    """``call(*args)``, with the store's failures (unreachable, full,
    refusing, a local OSError) as one line."""
    try:
        return call(*args)
    except JanusError as exc:
        raise BackupError(f"file store {store.where}: {exc.message}") from None
    except OSError as exc:
        raise BackupError(f"file store {store.where}: {exc.strerror or exc}") from None


def _occupied(store: Store) -> str | None:
    return _store_call(store, files.occupied, store)


def _restore_files(archive_path: Path, manifest: Manifest, store: Store) -> int:
    written = 0
    for entry, data in archive.read_members(
            archive_path, manifest, lambda e: e.path.startswith(STORAGE_PREFIX)):
        _store_call(store, files.put_member, store, entry, data)
        written += 1
    return written
