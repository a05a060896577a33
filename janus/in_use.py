"""Whether a Janus service is using a database, so that a restore never
replaces it under a running service (the service would keep the old SQLite
file open and lose every write after the restore; on PostgreSQL, DROP waits
on its locks and the workers then serve whatever they had cached).

- SQLite: every process serving Janus holds a shared ``flock`` on
  ``<database>.lock`` (beside the file, never the file itself: on NFS flock
  is emulated with fcntl locks, which SQLite uses on the database) for its
  whole life; a restore takes the exclusive lock without waiting, and holds
  it until the new file is in place. On Linux, flock and SQLite's fcntl
  locks are independent. A service that starts while a restore holds it
  stops with one line.
- PostgreSQL: every Janus connection carries ``application_name = janus``
  (janus.db), and a restore looks for such sessions on the target database
  in ``pg_stat_activity``, which shows every role's ``application_name``.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

APPLICATION_NAME = "janus"
LOCK_SUFFIX = ".lock"
LOCK_MODE = 0o644  # holds nothing; the service and an operator's restore both open it

# path -> fd: one shared lock per process and database, however many apps
# the process builds (the test suite builds hundreds).
_held: dict[Path, int] = {}
_held_lock = threading.Lock()


class InUse(RuntimeError):
    """The database is in use (by a service, or by a restore): one line."""


def lock_path(database: Path) -> Path:
    database = Path(database).resolve()
    return database.with_name(database.name + LOCK_SUFFIX)


def _open(path: Path) -> int:
    return os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, LOCK_MODE)


def hold_shared(database: Path) -> None:
    """Mark ``database`` in use by this process, until it exits."""
    path = lock_path(database)
    with _held_lock:
        if path in _held:
            return
        fd = _open(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InUse(f"a restore is replacing {Path(database).resolve()}: start the "
                        "service again when it has finished") from None
        _held[path] = fd


def release_shared(database: Path) -> None:
    """Let go of this process's mark (tests that stop an in-process app)."""
    with _held_lock:
        fd = _held.pop(lock_path(database), None)
    if fd is not None:
        os.close(fd)


@contextlib.contextmanager
def exclusive(database: Path) -> Iterator[None]:
    """For the block, ``database`` is ours alone: no Janus service holds it,
    and none can start on it. Raises InUse at once otherwise."""
    path = lock_path(database)
    try:
        fd = _open(path)
    except OSError as exc:
        raise InUse(f"cannot open {path} to check that no service uses the database: "
                    f"{exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InUse(f"a Janus service is using {Path(database).resolve()} (it holds "
                        f"{path}): stop it, restore, then start it again") from None
        yield
    finally:
        os.close(fd)  # releases the lock


PG_SESSIONS = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
               "AND application_name = %s AND pid <> pg_backend_pid()")


def postgres_sessions(cursor) -> int:
    """How many Janus sessions are connected to the cursor's database."""
    cursor.execute(PG_SESSIONS, (APPLICATION_NAME,))
    return cursor.fetchone()[0]
