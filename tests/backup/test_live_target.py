"""Restore refuses a target a running Janus service uses (issue 15, item 13):
the attack was `restore --force` under `make serve`, which answered rc 0 on
SQLite while the workers kept the deleted file open and lost every later
write. Now it is one line and a non-zero exit, --force or not, and nothing
changes; once the service is stopped the same command restores."""
from __future__ import annotations

import contextlib
import subprocess
import sys
import time

import psycopg2
import pytest

from janus import in_use
from janus.backup import sqlite
from janus.db import init_database
from tests.backup.helpers import assert_one_line_error, rows, run_module, store_listing
from tests.helpers import PROJECT_ROOT, migrate
from tests.live import Gunicorn, send

SESSIONS_GONE_WITHIN = 30  # seconds: PostgreSQL ends a backend soon after its client


def _no_janus_sessions(url) -> None:
    """After the service stopped: PostgreSQL may take a moment to end its
    backends, and until then the restore (rightly) still sees them."""
    deadline = time.monotonic() + SESSIONS_GONE_WITHIN
    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        while in_use.postgres_sessions(cur):
            assert time.monotonic() < deadline, "the stopped service's sessions stay"
            time.sleep(0.1)


@pytest.mark.gunicorn
def test_restore_refuses_a_target_a_running_service_uses(made, occupied_target, tmp_path,
                                                         backend):
    url, root = occupied_target
    before_rows, before_files = rows(url), store_listing(root)
    server = Gunicorn(url, root, tmp_path / "gunicorn.log").start()
    try:
        code, out, err = run_module("restore", made, "--database", url,
                                    "--storage-dir", root, "--force")
        assert_one_line_error(code, out, err, "a Janus service is using",
                              "stop it, restore, then start it again", "nothing was changed")
        assert rows(url) == before_rows and store_listing(root) == before_files
        assert send(server.port, "GET", "/health")[0] == 200  # still serving its database
    finally:
        server.stop()

    if backend == "postgresql":
        _no_janus_sessions(url)
    code, out, err = run_module("restore", made, "--database", url, "--storage-dir", root,
                                "--force")
    assert (code, err) == (0, ""), err
    assert out.startswith(f"restored {made} into ")
    assert [row[1] for row in rows(url)["users"]] != [row[1] for row in before_rows["users"]]


@pytest.mark.gunicorn
def test_a_service_cannot_start_on_a_database_being_restored(db_factory, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("SQLite's lock; a PostgreSQL restore replaces the tables in one "
                    "transaction, which a starting service waits for")
    url = db_factory.new_url()
    migrate(init_database(url))
    server = Gunicorn(url, tmp_path / "store", tmp_path / "gunicorn.log")
    with in_use.exclusive(sqlite.path_of(url)):  # as a restore holds it
        proc = subprocess.run([sys.executable, "-m", "gunicorn", "app:app"], cwd=PROJECT_ROOT,
                              env=server.env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(
        "janus: a restore is replacing "), proc.stderr
    # ... and starts once it is over (the master holds the lock, shared).
    server.start()
    server.stop()


WRITE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=1)
conn.execute("PRAGMA journal_mode=wal")
with conn:
    conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
print(conn.execute("SELECT count(*) FROM t").fetchone()[0])
"""


@pytest.mark.parametrize("held", ["shared", "exclusive"])
def test_the_lock_never_gets_in_sqlites_way(tmp_path, held):
    """flock on <db>.lock and SQLite's own fcntl locks on <db> are
    independent on Linux: SQLite reads and writes while either is held."""
    database = tmp_path / "janus.db"
    hold = in_use.exclusive(database) if held == "exclusive" else contextlib.nullcontext()
    if held == "shared":
        in_use.hold_shared(database)
    try:
        with hold:
            for expected in ("1", "2"):
                proc = subprocess.run([sys.executable, "-c", WRITE, str(database)],
                                      capture_output=True, text=True, timeout=60)
                assert (proc.returncode, proc.stdout.strip()) == (0, expected), proc.stderr
    finally:
        in_use.release_shared(database)
