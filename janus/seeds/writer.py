"""How ``--generate`` (janus.seeds.generate) writes a batch of row tuples into
one table: on the raw DB-API cursor, bypassing peewee's per-row work.

On SQLite a searched table's FTS5 index (migration 016) is kept by an
insert trigger that indexes one row at a time: 2.5-3x the time of a bulk
load of logs. So a batch pauses that trigger (migration 019: a row in
``search_paused`` that only this transaction sees), inserts its rows,
indexes them in one ``INSERT ... SELECT`` and lifts the pause, all in the
batch's transaction: a crash or Ctrl-C rolls the four back together, other
connections' writes are indexed by the trigger as always (and none runs
meanwhile: the transaction holds the write lock), and nothing changes the
schema under a running service."""
from __future__ import annotations

import csv
import io

import peewee as pw

from janus.db import is_postgres
from janus.models import Admin, Analytics, Image, Log, SecurityEvent, User

MODELS = {model._meta.table_name: model
          for model in (User, Admin, Image, Analytics, Log, SecurityEvent)}


class Writer:
    """INSERTs batches of tuples into one table on the raw DB-API cursor:
    ``executemany`` of one prepared INSERT on SQLite, ``COPY ... FROM STDIN``
    (CSV made by the csv module) on PostgreSQL."""

    def __init__(self, db: pw.Database, table: str, columns: tuple[str, ...]):
        self.db, self.postgres = db, is_postgres(db)
        names = ", ".join(f'"{c}"' for c in columns)
        if self.postgres:
            # In CSV an unquoted empty field is NULL: keep '' for NOT NULL text columns.
            fields = {f.column_name: f for f in MODELS[table]._meta.sorted_fields}
            text = [c for c in columns if isinstance(fields[c], (pw.CharField, pw.TextField))
                    and not fields[c].null]
            force = f", FORCE_NOT_NULL ({', '.join(text)})" if text else ""
            self.sql = f'COPY "{table}" ({names}) FROM STDIN WITH (FORMAT csv{force})'
        else:
            self.sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
            self.search = search_fill(db.cursor(), table)

    def write(self, rows: list[tuple]) -> None:
        """One batch, in the caller's transaction."""
        cursor = self.db.cursor()
        if self.postgres:
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows)
            buffer.seek(0)
            cursor.copy_expert(self.sql, buffer)
        elif self.search is None:
            cursor.executemany(self.sql, rows)
        else:
            self.search.write(cursor, lambda: cursor.executemany(self.sql, rows))


class SearchFill:
    """SQLite: a batch into a table whose FTS5 index an insert trigger keeps,
    indexed in one statement (the module's docstring says why and how).
    ``table``'s ids are its rowids; new rows get ids above every old one."""

    def __init__(self, table: str, fts: str, columns: list[str]):
        names = ", ".join(f'"{c}"' for c in columns)
        self.table = table
        self.fill = (f'INSERT INTO "{fts}" (rowid, {names}) '
                     f'SELECT "id", {names} FROM "{table}" WHERE "id" > ?')

    def write(self, cursor, insert) -> None:
        """``insert()`` the batch, in the caller's transaction."""
        # First: it takes the transaction's write lock.
        cursor.execute("INSERT INTO search_paused (name) VALUES (?)", (self.table,))
        (top,), = cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{self.table}"').fetchall()
        insert()
        cursor.execute(self.fill, (top,))
        cursor.execute("DELETE FROM search_paused WHERE name = ?", (self.table,))


def search_fill(cursor, table: str) -> SearchFill | None:
    """The SearchFill of ``table`` if an FTS5 insert trigger indexes it and
    can be paused (any DB-API cursor on SQLite), else None."""
    fts = f"{table}_search"  # janus.lists.search.fts_table
    found = cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                           (f"{fts}_insert",)).fetchall()
    if not found or "search_paused" not in found[0][0]:
        return None
    columns = [row[1] for row in cursor.execute(f'PRAGMA table_info("{fts}")').fetchall()]
    return SearchFill(table, fts, columns)
