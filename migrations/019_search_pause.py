"""SQLite: a bulk load may index its rows in one statement (janus.seeds.writer).

Each searched table's FTS5 insert trigger (016) skips while the table is
named in ``search_paused``. Only a loading transaction writes that row and
deletes it again before it commits, so no other connection ever sees it:
every other write is indexed by the trigger, as before, and a load changes
no schema (a schema change costs every other open connection a re-read,
and SQLite 3.40 failed a stale connection's next DELETE).

PostgreSQL: nothing (its trigram indexes need no trigger). Rollback puts
016's triggers back and drops the table.
"""

import peewee as pw
from peewee_migrate import Migrator

# table -> its searched columns (a copy: a migration keeps the shape it was written for)
SEARCHED = {
    "users": ("email", "username"),
    "images": ("filename",),
    "logs": ("action", "module"),
    "analytics": ("research_topic",),
    "security": ("account", "action", "user_agent"),
}


def _postgres(database) -> bool:
    return isinstance(getattr(database, "obj", database), pw.PostgresqlDatabase)


def _insert_trigger(table: str, columns: tuple, paused: bool) -> str:
    fts = f"{table}_search"
    names = ", ".join(f'"{c}"' for c in columns)
    new = ", ".join(f'new."{c}"' for c in columns)
    when = (f"WHEN NOT EXISTS (SELECT 1 FROM search_paused WHERE name = '{table}') "
            if paused else "")
    return (f'CREATE TRIGGER "{fts}_insert" AFTER INSERT ON "{table}" {when}'
            f'BEGIN INSERT INTO "{fts}" (rowid, {names}) VALUES (new."id", {new}); END')


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    if _postgres(database):
        return
    migrator.sql("CREATE TABLE search_paused (name VARCHAR(64) NOT NULL PRIMARY KEY)")
    for table, columns in SEARCHED.items():
        migrator.sql(f'DROP TRIGGER "{table}_search_insert"')
        migrator.sql(_insert_trigger(table, columns, paused=True))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    if _postgres(database):
        return
    for table, columns in SEARCHED.items():
        migrator.sql(f'DROP TRIGGER "{table}_search_insert"')
        migrator.sql(_insert_trigger(table, columns, paused=False))
    migrator.sql("DROP TABLE search_paused")
