"""SQLite: an online snapshot, its integrity check, and the atomic install.

Snapshot: ``sqlite3.Connection.backup`` with ``pages=-1`` copies the whole
database in one step, that is inside ONE read transaction of the source. In
WAL mode (Janus's setting) a reader neither blocks the service's writers nor
is blocked by them, and it sees exactly the transactions committed when it
began, including those still in the ``-wal`` file that a plain file copy would
miss. The copy is switched to ``journal_mode=DELETE`` so it is one
self-contained file.

Install: the restored file is written beside the target (same directory,
same file system), migrated there, and renamed over the target with
``os.replace``, so the target is at every moment the old database or the
whole new one. The old database's ``-wal``/``-shm``/``-journal`` files are
checkpointed and removed first: SQLite would otherwise replay a stale WAL or
roll back a stale journal into the new file. The service must be stopped
while restoring.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from janus.backup import contents
from janus.backup.common import BackupError
from janus.db import sqlite_path
from janus.errors import first_line


def path_of(url: str) -> Path:
    path = sqlite_path(url)
    if not path or path == ":memory:":
        raise BackupError("SQLite needs a file path, e.g. sqlite:////abs/path.db")
    return Path(path).resolve()


def _connect(path: Path, timeout: float = 30) -> sqlite3.Connection:
    """Open an existing file (mode=rw never creates one)."""
    return sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=timeout)


def tables(conn: sqlite3.Connection) -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def integrity_problem(conn: sqlite3.Connection) -> str | None:
    """None if ``PRAGMA integrity_check`` says ok, else its first complaint."""
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    return None if rows == ["ok"] else (rows[0] if rows else "no answer")


def snapshot(source: Path, dest: Path) -> contents.Snapshot:
    """Copy the live database ``source`` to ``dest`` consistently and read what
    the copy holds."""
    if not source.is_file():
        raise BackupError(f"database {source} does not exist")
    try:
        with contextlib.closing(_connect(source)) as src, \
                contextlib.closing(sqlite3.connect(dest)) as dst:
            src.backup(dst, pages=-1)  # one step: one read transaction on the source
            dst.execute("PRAGMA journal_mode=DELETE")
            problem = integrity_problem(dst)
            if problem:
                raise BackupError(f"database {source} fails PRAGMA integrity_check "
                                  f"({problem}); not backing it up")
            return contents.read(dst.cursor(), tables(dst))
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read database {source}: {first_line(exc)}") from None


def check_copy(path: Path) -> None:
    """Refuse an extracted copy that SQLite itself finds damaged."""
    try:
        with contextlib.closing(_connect(path)) as conn:
            problem = integrity_problem(conn)
    except sqlite3.Error as exc:
        problem = first_line(exc)
    if problem:
        raise BackupError(f"damaged archive: its database fails PRAGMA integrity_check "
                          f"({problem})")


def row_counts(path: Path) -> dict[str, int]:
    with contextlib.closing(_connect(path)) as conn:
        return contents.count_rows(conn.cursor(), tables(conn))


def occupied(target: Path) -> str | None:
    """Why ``target`` must not be overwritten without --force, or None."""
    if not target.exists():
        return None
    try:
        with contextlib.closing(_connect(target)) as conn:
            if "users" in tables(conn) and conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM users)").fetchone()[0]:
                return f"database {target} already has users"
    except sqlite3.Error as exc:
        return f"{target} is not a usable SQLite database ({first_line(exc)})"
    return None


def single_file(path: Path) -> None:
    """Fold any WAL back into ``path`` and leave it in rollback-journal mode."""
    with contextlib.closing(_connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    for suffix in ("-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            raise BackupError(f"{path}{suffix} is still there; is something holding {path} open?")


def install(staged: Path, target: Path) -> None:
    """Rename ``staged`` over ``target`` (same directory) atomically."""
    if target.exists():
        # Fold the old database's WAL in, so deleting it below loses nothing
        # that matters (the file is replaced anyway) and no stale frame is
        # ever replayed into the new file.
        with contextlib.suppress(sqlite3.Error), contextlib.closing(_connect(target, 5)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{target}{suffix}")
    os.replace(staged, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
