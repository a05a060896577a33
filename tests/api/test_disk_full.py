"""A full disk answers 507 insufficient_storage in the JSON envelope (never
500), stores nothing, and the log line names the cause: ENOSPC / EDQUOT from
the file store (simulated by failing the write), and SQLite's "database or
disk is full" (real: PRAGMA max_page_count). /health's degraded answers for
the same conditions: tests/api/test_health_writes.py."""
from __future__ import annotations

import errno
import sqlite3

import peewee as pw
import pytest

from janus.errors import InsufficientStorage, disk_full_cause
from janus.models import Log
from janus.storage import local as storage
from tests.api.helpers import assert_error, call, image_body, row_counts, storage_dir, upload
from tests.helpers import stored_files
from tests.images import photo_like, save

DATA = save(photo_like(61, (64, 48)), "PNG")


def _log_lines(janus_log) -> str:
    return "\n".join(record.getMessage() for record in janus_log.records)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT], ids=["ENOSPC", "EDQUOT"])
@pytest.mark.parametrize("call_name", ["fsync", "replace"])
def test_a_full_file_store_answers_507_and_stores_nothing(client, app, alice, monkeypatch,
                                                         janus_log, code, call_name):
    def full(*args, **kwargs):
        raise OSError(code, errno.errorcode[code] + ": " + __import__("os").strerror(code))
    monkeypatch.setattr(storage.os, call_name, full)
    before = row_counts()
    error = assert_error(upload(client, alice, DATA, "a.png"), 507, "insufficient_storage")
    assert "full" in error["message"]
    assert row_counts() == before  # the row and its audit row were rolled back
    assert stored_files(storage_dir(app)) == []  # no file, no .tmp-* left
    lines = _log_lines(janus_log)
    assert "insufficient storage" in lines and errno.errorcode[code] in lines, lines
    assert "Traceback" not in error["message"]


@pytest.fixture
def full_sqlite(db, backend):
    """The test connection's SQLite database, full: max_page_count is lowered
    to the pages in use, and the free space in them filled with audit rows."""
    if backend != "sqlite":
        pytest.skip("max_page_count is SQLite's; PostgreSQL's disk_full is matched by SQLSTATE "
                    "(test_disk_full_is_found_behind_other_errors)")
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {pages}")
    for size in (3000, 1000, 300, 100, 30, 10, 1):
        for _ in range(10_000):
            try:
                Log.insert(action="filler", module="test", log_metadata={"x": "y" * size}).execute()
            except pw.OperationalError as exc:
                assert "full" in str(exc)
                break
    yield db
    db.execute_sql("PRAGMA max_page_count = 1073741823")


@pytest.mark.parametrize("write", ["upload", "metadata record"])
def test_a_full_sqlite_database_answers_507_naming_the_cause(client, app, alice, full_sqlite,
                                                            janus_log, write):
    before = row_counts()
    if write == "upload":
        res = upload(client, alice, DATA, "a.png")
    else:
        res = call(client, "POST", "/images", alice, json=image_body())
    error = assert_error(res, 507, "insufficient_storage")
    assert "database" in error["message"]
    assert row_counts() == before
    assert stored_files(storage_dir(app)) == []  # the failed upload's file went too
    lines = _log_lines(janus_log)
    assert "database or disk is full" in lines, lines
    assert "cannot rollback" not in lines, lines


class _PgDiskFull(Exception):
    pgcode = "53100"


def _chained(cause: BaseException, outer: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException:
            raise outer  # noqa: B904 - the implicit __context__ is the point
    except BaseException as exc:
        return exc


@pytest.mark.parametrize("exc, found", [
    (OSError(errno.ENOSPC, "No space left on device"), True),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
    (OSError(errno.EACCES, "Permission denied"), False),
    (InsufficientStorage("full"), True),
    (pw.OperationalError("database or disk is full"), True),
    (pw.OperationalError("database is locked"), False),
    (pw.OperationalError(_PgDiskFull("could not extend file")), True),
    (_chained(sqlite3.OperationalError("database or disk is full"),
              pw.OperationalError("cannot rollback - no transaction is active")), True),
    (_chained(sqlite3.OperationalError("no such table: x"),
              pw.OperationalError("cannot rollback - no transaction is active")), False),
    (RuntimeError("boom"), False),
], ids=["ENOSPC", "EDQUOT", "EACCES", "typed", "sqlite-full", "sqlite-locked", "pg-53100",
        "full-behind-cannot-rollback", "other-behind-cannot-rollback", "unrelated"])
def test_disk_full_is_found_behind_other_errors(exc, found):
    assert (disk_full_cause(exc) is not None) is found
