"""What a database snapshot holds, read with plain SQL from any DB-API cursor
(sqlite3 on the copied file, psycopg2 inside the dump's exported snapshot):
the storage keys its ``images`` rows reference, the row count of each Janus
table, and the migrations recorded in ``migratehistory``."""
from __future__ import annotations

import dataclasses

from janus.backup.common import BackupError
from janus.backup.manifest import is_storage_key
from janus.migrate import MIGRATE_COMMAND, MIGRATE_TABLE
from janus.models import MODELS

TABLES = tuple(model._meta.table_name for model in MODELS)


@dataclasses.dataclass
class Snapshot:
    storage_keys: list[str]
    counts: dict[str, int]
    migrations: list[str]


def read(cursor, tables: set[str]) -> Snapshot:
    """``tables``: the table names that exist in the snapshot."""
    if "images" not in tables or "users" not in tables:
        raise BackupError("the database has no Janus tables; migrate it first: "
                          f"{MIGRATE_COMMAND}")
    cursor.execute("SELECT DISTINCT storage_key FROM images WHERE storage_key IS NOT NULL")
    keys = sorted(key for (key,) in cursor.fetchall())
    bad = [key for key in keys if not is_storage_key(key)]
    if bad:
        raise BackupError(f"images rows hold {len(bad)} malformed storage_key value(s), "
                          f"e.g. {bad[0]!r}")
    counts = count_rows(cursor, tables)
    migrations = []
    if MIGRATE_TABLE in tables:
        cursor.execute(f'SELECT name FROM "{MIGRATE_TABLE}" ORDER BY id')
        migrations = [name for (name,) in cursor.fetchall()]
    return Snapshot(keys, counts, migrations)


def count_rows(cursor, tables: set[str]) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        if table in tables:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts
