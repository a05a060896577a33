"""The text search's indexes (migration 016) on both backends: they match
every list's declared search fields (the drift test of test_migrations.py
leaves them out: no model declares them), they index the rows that existed
before the migration, they follow inserts, updates and deletes after it,
and a rollback removes them."""
from __future__ import annotations

import re

from peewee_migrate import Router

from janus.lists.images import IMAGES
from janus.lists.records import ANALYTICS, LOGS, SECURITY_EVENTS
from janus.lists.search import Term, fts_phrase, like_pattern
from janus.lists.users import ADMINS, USERS
from janus.models import Log
from tests.helpers import MIGRATIONS_DIR, migrate
from tests.test_migrations import opened

LISTINGS = [USERS, ADMINS, IMAGES, LOGS, ANALYTICS, SECURITY_EVENTS]


def declared() -> dict[str, set[str]]:
    """table -> the columns some list searches in it."""
    tables: dict[str, set[str]] = {}
    for listing in LISTINGS:
        search = listing.search
        tables.setdefault(search.model._meta.table_name, set()).update(
            column.column_name for column in search.columns)
    return tables


def trgm_indexes(db, table: str) -> dict[str, str]:
    return dict(db.execute_sql("SELECT indexname, indexdef FROM pg_indexes "
                               "WHERE tablename = %s AND indexname LIKE %s",
                               (table, "%\\_trgm")).fetchall())


def triggers(db, table: str) -> dict[str, str]:
    return dict(db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                               "AND tbl_name = ?", (table,)).fetchall())


def test_every_list_searches_through_an_index(db_factory, backend):
    assert len(declared()) == 5  # users (GET /users and /admins) and four more
    with opened(db_factory.new_url()) as db:
        migrate(db)
        for table, columns in declared().items():
            if backend == "postgresql":
                assert trgm_indexes(db, table) == {
                    f"{table}_{c}_trgm": f"CREATE INDEX {table}_{c}_trgm ON public.{table} "
                    f"USING gin (lower(({c})::text) gin_trgm_ops)" for c in columns}
                continue
            fts = f"{table}_search"
            assert {c.name for c in db.get_columns(fts)} == columns, table
            found = triggers(db, table)
            assert set(found) == {f"{fts}_insert", f"{fts}_delete", f"{fts}_update"}, table
            # A change to any searched column (and no other) re-indexes the row.
            updated = re.search(r"AFTER UPDATE OF (.*?) ON", found[f"{fts}_update"]).group(1)
            assert {name.strip(' "') for name in updated.split(",")} == columns, table


def found(db, backend: str, text: str) -> list[int]:
    """The logs rows GET /logs?q=text finds (its own condition), by id; on
    PostgreSQL read through the trigram index (sequential scans off)."""
    term = (Term("trigram", like_pattern(text)) if backend == "postgresql"
            else Term("fts", fts_phrase(text)))
    with db.bind_ctx([Log]):
        query = Log.select(Log.id).where(LOGS.search.where(term)).order_by(Log.id)
        return [row.id for row in query]


def insert_log(db, action: str, module: str) -> int:
    p = db.param
    db.execute_sql("INSERT INTO logs (action, module, level, timestamp, log_metadata) "
                   f"VALUES ({p}, {p}, 'info', '2024-01-01', '{{}}')", (action, module))
    return db.execute_sql("SELECT max(id) FROM logs").fetchone()[0]


def test_016_indexes_old_rows_follows_writes_and_rolls_back(db_factory, backend):
    with opened(db_factory.new_url()) as db:
        if backend == "postgresql":
            db.execute_sql("SET enable_seqscan = off")
        router = Router(db, migrate_dir=MIGRATIONS_DIR)
        router.run("014_email_verification")
        old = insert_log(db, "Ünïcödé.created", "images")
        insert_log(db, "plain", "other")

        router.run("016_text_search")
        assert found(db, backend, "ünï") == [old]  # a row from before the migration
        assert found(db, backend, "IMAGES") == [old]
        new = insert_log(db, "ÜNÏCORN.seen", "zoo")
        assert found(db, backend, "ünï") == [old, new]
        db.execute_sql(f"UPDATE logs SET action = 'renamed' WHERE id = {old}")
        db.execute_sql(f"UPDATE logs SET module = 'aquarium' WHERE id = {new}")
        db.execute_sql(f"UPDATE logs SET level = 'error' WHERE id = {new}")  # not searched
        assert found(db, backend, "ünï") == [new]
        assert found(db, backend, "renamed") == [old]
        assert found(db, backend, "zoo") == []
        assert found(db, backend, "quar") == [new]
        db.execute_sql(f"DELETE FROM logs WHERE id = {new}")
        assert found(db, backend, "ünï") == [] and found(db, backend, "quar") == []

        router.rollback()
        for table in declared():
            if backend == "postgresql":
                assert trgm_indexes(db, table) == {}
            else:
                assert triggers(db, table) == {}
                assert not [t for t in db.get_tables() if t.startswith(f"{table}_search")]
        router.run()  # and forward again: the rows are indexed anew
        assert found(db, backend, "renamed") == [old]

