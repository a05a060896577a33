"""PostgreSQL: ``pg_dump --format=custom`` from an exported snapshot, and a
restore that replaces the database's tables in one transaction.

Snapshot: a REPEATABLE READ, READ ONLY transaction exports its snapshot
(``pg_export_snapshot()``) and stays open while ``pg_dump --snapshot=...``
dumps exactly that state; the same transaction then lists the storage keys,
row counts and migrations. The manifest therefore describes precisely the
rows in the dump, while the service keeps reading and writing.

Restore: ``pg_restore`` turns the dump into SQL and ``psql --single-transaction``
runs it after dropping the tables the target holds, so the target is the old
database or the restored one, never half of each.

Passwords never appear on a command line: they travel in ``PGPASSWORD``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import psycopg2.extensions

from janus import in_use
from janus.backup import contents
from janus.backup.common import BackupError
from janus.db import shown_url
from janus.errors import first_line


def tool(name: str) -> str:
    """The path of a PostgreSQL client program, or a one-line BackupError."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found on PATH: install the PostgreSQL client tools "
                          f"(e.g. apt install postgresql-client) to back up or restore PostgreSQL")
    return found


def _libpq(url: str) -> tuple[str, dict]:
    """The URL without its password, and an environment carrying it."""
    parts = urlsplit(url)
    env = dict(os.environ, PGCONNECT_TIMEOUT=os.environ.get("PGCONNECT_TIMEOUT", "10"))
    if parts.password is not None:
        env["PGPASSWORD"] = parts.password
        user, host = parts.netloc.rsplit("@", 1)
        parts = parts._replace(netloc=f"{user.split(':', 1)[0]}@{host}")
    return urlunsplit(parts._replace(scheme="postgresql")), env


def connect(url: str):
    try:
        return psycopg2.connect(url, connect_timeout=5)
    except psycopg2.Error as exc:
        raise BackupError(f"cannot connect to {shown_url(url)}: {first_line(exc)}") from None


def _tables(cursor) -> set[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {name for (name,) in cursor.fetchall()}


def _run(argv: list[str], env: dict, what: str, **kwargs) -> None:
    result = subprocess.run(argv, env=env, stderr=subprocess.PIPE, **kwargs)
    if result.returncode != 0:
        lines = [ln.strip() for ln in result.stderr.decode(errors="replace").splitlines()
                 if ln.strip()]
        raise BackupError(f"{what} failed: "
                          + (lines[-1] if lines else f"exit status {result.returncode}"))


def snapshot(url: str, dest: Path) -> contents.Snapshot:
    """Dump the database to ``dest`` and read what that dump holds."""
    pg_dump = tool("pg_dump")
    dsn, env = _libpq(url)
    conn = connect(url)
    try:
        conn.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ,
                         readonly=True)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            (snapshot_id,) = cur.fetchone()
            _run([pg_dump, "--format=custom", f"--snapshot={snapshot_id}",
                  f"--file={dest}", f"--dbname={dsn}"], env, "pg_dump",
                 stdout=subprocess.DEVNULL)
            return contents.read(cur, _tables(cur))
    except psycopg2.Error as exc:
        raise BackupError(f"database error on {shown_url(url)}: {first_line(exc)}") from None
    finally:
        conn.close()


def check_dump(path: Path) -> None:
    """pg_restore can read the dump's table of contents."""
    _run([tool("pg_restore"), "--list", str(path)], dict(os.environ),
         "damaged archive: pg_restore --list", stdout=subprocess.DEVNULL)


def occupied(url: str) -> str | None:
    """Why the target must not be overwritten without --force, or None."""
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            if "users" in _tables(cur):
                cur.execute("SELECT EXISTS (SELECT 1 FROM users)")
                if cur.fetchone()[0]:
                    return f"database {shown_url(url)} already has users"
        return None
    except psycopg2.Error as exc:
        raise BackupError(f"database error on {shown_url(url)}: {first_line(exc)}") from None
    finally:
        conn.close()


def refuse_if_served(url: str) -> None:
    """A one-line BackupError if a Janus service is connected to the target
    (its sessions carry application_name = janus: janus.in_use)."""
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            sessions = in_use.postgres_sessions(cur)
    except psycopg2.Error as exc:
        raise BackupError(f"database error on {shown_url(url)}: {first_line(exc)}") from None
    finally:
        conn.close()
    if sessions:
        raise BackupError(f"a Janus service is using {shown_url(url)} ({sessions} "
                          f"connection(s) with application_name={in_use.APPLICATION_NAME} "
                          "in pg_stat_activity): stop it, restore, then start it again; "
                          "nothing was changed")


def row_counts(url: str) -> dict[str, int]:
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            return contents.count_rows(cur, _tables(cur))
    finally:
        conn.close()


def restore(url: str, dump: Path) -> None:
    """Replace every table in the target's public schema with the dump's, in
    one transaction. The service must be stopped (DROP waits for its locks)."""
    pg_restore, psql = tool("pg_restore"), tool("psql")
    dsn, env = _libpq(url)
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            existing = sorted(_tables(cur))
    finally:
        conn.close()
    with tempfile.TemporaryDirectory(prefix="janus-restore-") as work:
        drops = Path(work) / "drop.sql"
        drops.write_text("".join(f'DROP TABLE IF EXISTS public."{name}" CASCADE;\n'
                                 for name in existing))
        # The whole script is written first: psql fed a script that pg_restore
        # abandoned half-way would commit the half it got.
        script = Path(work) / "restore.sql"
        _run([pg_restore, "--no-owner", "--no-privileges", f"--file={script}", str(dump)],
             env, "pg_restore (nothing was changed)", stdout=subprocess.DEVNULL)
        _run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
              "-f", str(drops), "-f", str(script), f"--dbname={dsn}"], env,
             "psql (nothing was changed)", stdout=subprocess.DEVNULL)
