"""How ``--generate`` (janus.seeds.generate) writes a batch of row tuples into
one table: on the raw DB-API cursor, bypassing peewee's per-row work."""
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

    def write(self, rows: list[tuple]) -> None:
        """One batch, in the caller's transaction."""
        cursor = self.db.cursor()
        if self.postgres:
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows)
            buffer.seek(0)
            cursor.copy_expert(self.sql, buffer)
        else:
            cursor.executemany(self.sql, rows)
