"""SQLite: make every table's id ``INTEGER PRIMARY KEY AUTOINCREMENT`` (nothing on
PostgreSQL), rebuilding each table with its rows, ids, indexes and foreign keys.

Why, and the order of the rebuild: docs/migrations.md, "Migrations worth knowing".
"""

import re

import peewee as pw
from peewee_migrate import Migrator

PLAIN = '"id" INTEGER NOT NULL PRIMARY KEY'
AUTO = PLAIN + " AUTOINCREMENT"
SKIP = ("migratehistory",)  # peewee-migrate's own table, left as it made it


def _sqlite(database) -> pw.SqliteDatabase | None:
    db = getattr(database, "obj", database)
    return db if isinstance(db, pw.SqliteDatabase) else None


def _tables_parents_first(db) -> list[str]:
    names = [t for t in db.get_tables() if not t.startswith("sqlite_") and t not in SKIP]
    parents = {t: {fk.dest_table for fk in db.get_foreign_keys(t)} - {t} for t in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [t for t in names if t not in ordered and parents[t] <= set(ordered)]
        if not ready:
            raise RuntimeError(f"foreign key cycle among {sorted(set(names) - set(ordered))}")
        ordered.extend(ready)
    return ordered


def _rebuild(db, add: bool) -> None:
    old, new = (PLAIN, AUTO) if add else (AUTO, PLAIN)
    pattern = re.compile(re.escape(old) + ("(?! AUTOINCREMENT)" if add else ""))
    tables = _tables_parents_first(db)
    plan = []
    for table in tables:
        (create,) = db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        if not pattern.search(create):
            continue  # already in the wanted shape (or no integer id column)
        indexes = [sql for (sql,) in db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL", (table,))]
        columns = ", ".join(f'"{c.name}"' for c in db.get_columns(table))
        plan.append((table, pattern.sub(new, create, count=1), indexes, columns))
    for table, _, _, _ in plan:
        db.execute_sql(f'CREATE TABLE "{table}__rebuild" AS SELECT * FROM "{table}"')
    for table, _, _, _ in reversed(plan):
        db.execute_sql(f'DROP TABLE "{table}"')
    for table, create, indexes, columns in plan:
        db.execute_sql(create)
        db.execute_sql(f'INSERT INTO "{table}" ({columns}) '
                       f'SELECT {columns} FROM "{table}__rebuild" ORDER BY "id"')
        for index in indexes:
            db.execute_sql(index)
        db.execute_sql(f'DROP TABLE "{table}__rebuild"')
    if not add and db.table_exists("sqlite_sequence"):
        names = [table for table, _, _, _ in plan]
        if names:
            marks = ", ".join("?" for _ in names)
            db.execute_sql(f"DELETE FROM sqlite_sequence WHERE name IN ({marks})", names)
    problems = db.execute_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"foreign key check failed after the rebuild: {problems[:5]}")


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    db = _sqlite(database)
    if db is not None:
        migrator.run(_rebuild, db, True)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    db = _sqlite(database)
    if db is not None:
        migrator.run(_rebuild, db, False)
