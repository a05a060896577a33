"""Is the database migrated? Checked by the app and the seed loader at start-up.

Reads the ``migratehistory`` table directly instead of going through
peewee_migrate's ``Router``: the router creates that table as a side effect
(``Router.model``), re-points a module-global model at the database and costs
~90 ms of imports, all wrong for a read-only check run at every start.
The two constants below mirror peewee_migrate (``models.MIGRATE_TABLE`` and
``Router.filemask``); tests/test_migrations.py holds them equal.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path

import peewee as pw

from janus.errors import NotMigrated
from janus.paths import MIGRATIONS_DIR

MIGRATE_TABLE = "migratehistory"
MIGRATION_FILE = re.compile(r"[\d]{3}_[^\.]+\.py$")
# What every "not migrated" message tells the operator to run: it works from
# any directory (janus.migrate), unlike pw_migrate.
MIGRATE_COMMAND = "janus-migrate"
# What an HTTP client is told: that a migration is pending, not which (the
# names say which version of the code runs; operators read them in the log).
PUBLIC_MESSAGE = f"database is not migrated (a migration is pending); run: {MIGRATE_COMMAND}"
log = logging.getLogger("janus.errors")


# The first migration of every Janus: a folder without it is not Janus's.
FIRST_MIGRATION = "001_initial"


class MigrationsFolderError(Exception):
    """The migrations folder is missing, empty or not Janus's (one line)."""


def migration_names(directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Names of the migration files in ``directory`` (default: the ones shipped
    with the code), in apply order. A folder that is missing, holds none or
    does not start with Janus's first migration raises MigrationsFolderError:
    "0 migrations, up to date" would be a lie that leaves the database empty."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MigrationsFolderError(f"migrations folder {directory} does not exist")
    names = sorted(p.stem for p in directory.iterdir() if MIGRATION_FILE.match(p.name))
    if not names:
        raise MigrationsFolderError(f"{directory} holds no migration files (NNN_name.py): "
                                    f"not Janus's migrations folder")
    if names[0] != FIRST_MIGRATION:
        raise MigrationsFolderError(f"{directory} does not start with {FIRST_MIGRATION}.py: "
                                    f"not Janus's migrations folder")
    return names


def applied(db: pw.Database) -> list[str]:
    """Names recorded in the history table, in apply order; [] if it is missing.

    Leaves the connection as it found it: opened here means closed here.
    """
    was_closed = db.is_closed()
    if was_closed:
        db.connect()
    try:
        if not db.table_exists(MIGRATE_TABLE):
            return []
        cursor = db.execute_sql(f'SELECT name FROM "{MIGRATE_TABLE}" ORDER BY id')
        return [name for (name,) in cursor.fetchall()]
    finally:
        if was_closed:
            db.close()


def pending(db: pw.Database) -> list[str]:
    """Migration files not yet applied to ``db``."""
    done = set(applied(db))
    return [name for name in migration_names() if name not in done]


def require_migrated(db: pw.Database, public: bool = False) -> None:
    """Raise NotMigrated (503) unless every migration file has been applied.
    The message names the pending migrations, unless ``public`` (an HTTP
    answer): then only the log does."""
    todo = pending(db)
    if todo and public:
        log.warning({"message": "database is not migrated", "pending": todo,
                     "run": MIGRATE_COMMAND})
        raise NotMigrated(PUBLIC_MESSAGE)
    if todo:
        raise NotMigrated(
            f"database is not migrated (pending: {', '.join(todo)}); "
            f"run: {MIGRATE_COMMAND}",
            details={"pending": todo},
        )
