"""The database connection both commands of ``python -m janus.seeds`` use
(loading seed files, janus.seeds.cli; ``--generate``, janus.seeds.generate),
and their one-line messages. Its own module so neither imports the other."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import peewee as pw

from janus.db import DatabaseURLError, database, make_database, shown_url, sqlite_path
from janus.errors import NotMigrated, first_line
from janus.migrate import MIGRATE_COMMAND, require_migrated
from janus.models import MODELS
from janus.seeds.schema import SeedError


@contextlib.contextmanager
def connected(url: str):
    """Point the shared database proxy at ``url`` for the block, then restore it.

    A SQLite file that does not exist is an error rather than created empty.
    """
    shown = shown_url(url)
    path = sqlite_path(url)
    if path and path != ":memory:" and not Path(path).is_file():
        raise SeedError(f"database {shown} does not exist; create it with: {MIGRATE_COMMAND}")
    try:
        db = make_database(url, pool_size=1)
    except DatabaseURLError as exc:
        raise SeedError(str(exc)) from None
    previous = database.obj
    database.initialize(db)
    try:
        try:
            db.connect()
        except pw.DatabaseError as exc:
            raise SeedError(f"cannot connect to {shown}: {first_line(exc)}") from None
        try:
            require_migrated(db)
        except NotMigrated as exc:
            raise SeedError(f"{shown}: {exc.message}") from None
        # The history can claim more than the schema holds (tables dropped by hand).
        missing = sorted({m._meta.table_name for m in MODELS} - set(db.get_tables()))
        if missing:
            raise SeedError(f"{shown}: database is not migrated (missing tables: "
                            f"{', '.join(missing)}); run: {MIGRATE_COMMAND}")
        yield db
    finally:
        if hasattr(db, "close_all"):
            db.close_all()
        else:
            db.close()
        database.initialize(previous)


def fail(message: str) -> None:
    """Exactly one line on stderr, whatever the message holds."""
    print(message.replace("\r", "\\r").replace("\n", "\\n"), file=sys.stderr)
