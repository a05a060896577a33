"""Schema introspection for the migration tests, on SQLite and PostgreSQL.

``introspect(db)`` flattens a database's schema into ``{key: description}``
lines -- one per table, column, index, foreign key and CHECK constraint -- so
two schemas compare as dicts and ``diff()`` prints what differs, line by line.

Column order is ignored (a column added by a later migration lands at the end
of the table, one declared in the model may not). Index names are compared
unless both are the name a generator derives from the table and columns
(peewee and playhouse.migrate both use ``<table>_<col>...``; PostgreSQL adds
``_pkey``/``_key``), in which case they are left out.
"""
from __future__ import annotations

import re

import peewee as pw
from playhouse.migrate import make_index_name

IGNORED_TABLES = frozenset({"migratehistory"})
# The text search's index structures (migration 016), which no model
# declares: SQLite's FTS5 tables (and their shadow tables) and PostgreSQL's
# trigram indexes. tests/test_search_schema.py checks them against the lists'
# declarations instead.
# FTS5 tables and the bulk load's pause table (016, 019): SQLite only, no model.
_SEARCH_TABLE = re.compile(r"^(\w+_search(_(data|idx|docsize|config|content))?|search_paused)$")
_SEARCH_INDEX = re.compile(r"^\w+_trgm$")


def is_search_table(name: str) -> bool:
    return _SEARCH_TABLE.match(name) is not None


def _norm(text) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def _is_postgres(db) -> bool:
    return isinstance(db, pw.PostgresqlDatabase)


def _generated_index_names(table: str, columns) -> set[str]:
    joined = "_".join((table, *columns))
    return {make_index_name(table, columns), joined, f"{joined}_key", f"{joined}_idx",
            f"{table}_pkey"}


def _checks_sqlite(db, table: str) -> list[str]:
    """Every ``CHECK (...)`` in the table's CREATE statement, column or table level."""
    (sql,) = db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    checks = []
    for match in re.finditer(r"\bCHECK\s*\(", sql, re.IGNORECASE):
        depth, quote, start = 0, None, match.end() - 1
        for pos in range(start, len(sql)):
            char = sql[pos]
            if quote:
                if char == quote:
                    quote = None
            elif char in "'\"":
                quote = char
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    checks.append("CHECK " + sql[start:pos + 1])
                    break
    return checks


def _sqlite_autoincrement(db, table: str) -> bool:
    (sql,) = db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return re.search(r"\bAUTOINCREMENT\b", sql, re.IGNORECASE) is not None


def _checks_postgres(db, table: str) -> list[str]:
    cursor = db.execute_sql(
        "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint AS c "
        "JOIN pg_class AS t ON t.oid = c.conrelid "
        "JOIN pg_namespace AS n ON n.oid = t.relnamespace "
        "WHERE c.contype = 'c' AND t.relname = %s AND n.nspname = current_schema()",
        (table,))
    return [definition for (definition,) in cursor.fetchall()]


def introspect(db: pw.Database, ignore=IGNORED_TABLES) -> dict[str, str]:
    """The schema of ``db`` (its default schema) as ``{key: description}``.

    peewee 4.5's ``get_foreign_keys`` reports ON DELETE / ON UPDATE on both
    backends (SQLite from ``PRAGMA foreign_key_list``, PostgreSQL from
    ``information_schema.referential_constraints``); CHECK constraints are read
    per backend above.
    """
    checks_of = _checks_postgres if _is_postgres(db) else _checks_sqlite
    out: dict[str, str] = {}
    for table in db.get_tables():
        if table in ignore or table.startswith("sqlite_") or is_search_table(table):
            continue
        out[f"{table}"] = "table"
        autoincrement = not _is_postgres(db) and _sqlite_autoincrement(db, table)
        for col in db.get_columns(table):
            text = _norm(col.full_type or col.data_type).lower()
            text += " NULL" if col.null else " NOT NULL"
            if col.primary_key:
                text += " PRIMARY KEY"
                # SQLite: AUTOINCREMENT decides whether deleted ids come back.
                text += " AUTOINCREMENT" if autoincrement else ""
            if col.default is not None:
                text += f" DEFAULT {_norm(col.default)}"
            out[f"{table}.{col.name}"] = text
        for index in db.get_indexes(table):
            if _SEARCH_INDEX.match(index.name):
                continue
            columns = tuple(index.columns)
            text = "UNIQUE" if index.unique else "non-unique"
            if index.name not in _generated_index_names(table, columns):
                text += f" name={index.name}"
            key = f"{table} index ({', '.join(columns)})"
            if key in out:  # two indexes on the same columns: keep both
                key += f" {index.name}"
            out[key] = text
        for fk in db.get_foreign_keys(table):
            out[f"{table} foreign key ({fk.column})"] = (
                f"-> {fk.dest_table}({fk.dest_column}) "
                f"ON DELETE {(fk.on_delete or 'NO ACTION').upper()} "
                f"ON UPDATE {(fk.on_update or 'NO ACTION').upper()}")
        for check in checks_of(db, table):
            out[f"{table} {_norm(check)}"] = "check"
    return out


def diff(expected: dict[str, str], actual: dict[str, str],
         labels=("expected", "actual")) -> list[str]:
    """Readable differences, ``-`` for ``expected`` and ``+`` for ``actual``;
    empty when the schemas are identical."""
    lines = []
    for key in sorted(expected.keys() | actual.keys()):
        old, new = expected.get(key), actual.get(key)
        if old == new:
            continue
        if old is not None:
            lines.append(f"- {key}: {old}")
        if new is not None:
            lines.append(f"+ {key}: {new}")
    if lines:
        lines.insert(0, f"schema differs (- {labels[0]}, + {labels[1]}):")
    return lines
