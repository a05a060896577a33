"""?q= text search (janus.lists.search): an index over each list's searched
text columns.

PostgreSQL: the pg_trgm extension (trusted: a database owner may create it)
and a GIN trigram index on lower(column) per column. SQLite: an FTS5 table
``<table>_search`` per table, trigram tokenizer (it folds case, non-ASCII
too), external content (the table itself: the index holds no second copy of
the text), filled from the existing rows and kept by three triggers.

Rollback drops the indexes, tables and triggers; the extension stays (it is
the database's, and something else may use it).
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


def _fts_sql(table: str, columns: tuple) -> list[str]:
    fts = f"{table}_search"
    names = ", ".join(f'"{c}"' for c in columns)
    new = ", ".join(f'new."{c}"' for c in columns)
    old = ", ".join(f'old."{c}"' for c in columns)
    insert = f'INSERT INTO "{fts}" (rowid, {names}) VALUES (new."id", {new});'
    delete = (f'INSERT INTO "{fts}" ("{fts}", rowid, {names}) '
              f"VALUES ('delete', old.\"id\", {old});")
    return [
        f'CREATE VIRTUAL TABLE "{fts}" USING fts5({names}, content=\'{table}\', '
        "content_rowid='id', tokenize='trigram case_sensitive 0')",
        f"INSERT INTO \"{fts}\" (\"{fts}\") VALUES ('rebuild')",
        f'CREATE TRIGGER "{fts}_insert" AFTER INSERT ON "{table}" BEGIN {insert} END',
        f'CREATE TRIGGER "{fts}_delete" AFTER DELETE ON "{table}" BEGIN {delete} END',
        f'CREATE TRIGGER "{fts}_update" AFTER UPDATE OF {names} ON "{table}" '
        f"BEGIN {delete} {insert} END",
    ]


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    if _postgres(database):
        migrator.sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, columns in SEARCHED.items():
            for column in columns:
                migrator.sql(f'CREATE INDEX "{table}_{column}_trgm" ON "{table}" '
                             f'USING gin (lower("{column}") gin_trgm_ops)')
        return
    for table, columns in SEARCHED.items():
        for sql in _fts_sql(table, columns):
            migrator.sql(sql)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    for table, columns in SEARCHED.items():
        if _postgres(database):
            for column in columns:
                migrator.sql(f'DROP INDEX "{table}_{column}_trgm"')
            continue
        for trigger in ("insert", "delete", "update"):
            migrator.sql(f'DROP TRIGGER "{table}_search_{trigger}"')
        migrator.sql(f'DROP TABLE "{table}_search"')
