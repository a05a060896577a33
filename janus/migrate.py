"""Janus's migrations: checked (is the database migrated? at start-up, by the
app and the seed loader), and run (``janus-migrate`` / ``python -m
janus.migrate``: bring a database to the latest migration, from any directory).

The check reads the ``migratehistory`` table directly instead of going through
peewee_migrate's ``Router``: the router creates that table as a side effect
(``Router.model``), re-points a module-global model at the database and costs
~90 ms of imports, all wrong for a read-only check run at every start; so the
Router is imported only when migrations are applied. The two constants below
mirror peewee_migrate (``models.MIGRATE_TABLE`` and ``Router.filemask``);
tests/test_migrations.py holds them equal.

pw_migrate reads ``./migrations`` relative to the current directory: run
anywhere but the repository root it creates an empty ``migrations/`` there,
applies nothing and says OK. ``janus-migrate`` always applies the package's
own files (``MIGRATIONS_DIR``, an absolute path) through peewee-migrate's
Router, on a database built as the app builds it (``janus.db.make_database``:
SQLite pragmas included), and says what it applied. A bad URL, an unreachable
database or a failing migration is one line on stderr and exit status 1, never
a traceback.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path

import click
import peewee as pw

from janus.config import Config, ConfigError
from janus.db import DatabaseURLError, make_database, shown_url, sqlite_path
from janus.errors import NotMigrated, first_line
from janus.paths import MIGRATIONS_DIR

MIGRATE_TABLE = "migratehistory"
MIGRATION_FILE = re.compile(r"[\d]{3}_[^\.]+\.py$")
# What every "not migrated" message tells the operator to run: it works from
# any directory (this module's command), unlike pw_migrate.
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


# peewee-migrate logs every step (and a traceback on failure) through its own
# logger; this command reports for itself, in one line per step.
_quiet = logging.getLogger("janus.migrate.router")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


class MigrateError(Exception):
    """A failure reported as one line (exit status 1)."""


@dataclasses.dataclass
class Status:
    applied: list[str]
    pending: list[str]
    unknown: list[str]  # recorded in the database, not shipped with this code


def _open(url: str) -> pw.Database:
    """The database at ``url``, connected; MigrateError if it cannot be."""
    try:
        db = make_database(url, pool_size=1)
    except DatabaseURLError as exc:
        raise MigrateError(str(exc)) from None
    except OSError as exc:  # the SQLite file's directory cannot be created
        raise MigrateError(f"cannot create the directory of {shown_url(url)}: "
                           f"{first_line(exc)}") from None
    try:
        db.connect()
    except pw.DatabaseError as exc:
        db.close_all()
        raise MigrateError(f"cannot connect to {shown_url(url)}: {first_line(exc)}") from None
    return db


def _names(directory: Path) -> list[str]:
    try:
        return migration_names(directory)
    except MigrationsFolderError as exc:
        raise MigrateError(str(exc)) from None


def status(url: str, directory: Path = MIGRATIONS_DIR) -> Status:
    """What is applied and pending at ``url``; changes nothing (a SQLite
    file that does not exist is not created: everything is pending)."""
    shipped = _names(directory)
    path = sqlite_path(url)
    if path and path != ":memory:" and not Path(path).is_file():
        return Status(applied=[], pending=shipped, unknown=[])
    db = _open(url)
    try:
        done = applied(db)
    except pw.DatabaseError as exc:
        raise MigrateError(f"reading {shown_url(url)}: {first_line(exc)}") from None
    finally:
        db.close_all()
    return Status(applied=[n for n in done if n in shipped],
                  pending=[n for n in shipped if n not in done],
                  unknown=[n for n in done if n not in shipped])


def apply_pending(url: str, on_applied: Callable[[str], None] = lambda name: None,
                  directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration in ``directory`` to ``url``, in order,
    each in its own transaction (Router.run_one); ``on_applied(name)`` after
    each. Returns the names applied. A failure leaves the earlier ones
    applied. A folder that is not Janus's is refused before connecting."""
    _names(directory)
    db = _open(url)
    done: list[str] = []
    try:
        from peewee_migrate import Router  # ~90 ms of imports: only when applying

        router = Router(db, migrate_dir=directory, logger=_quiet)
        try:
            todo = router.diff
        except pw.DatabaseError as exc:
            raise MigrateError(f"reading {shown_url(url)}: {first_line(exc)}") from None
        if not todo:
            return done
        migrator = router.migrator  # replays the applied ones, without SQL
        for name in todo:
            try:
                router.run_one(name, migrator, fake=False)
            except Exception as exc:  # noqa: BLE001 - reported as one line
                raise MigrateError(f"migration {name} failed on {shown_url(url)}: "
                                   f"{first_line(exc)}") from None
            done.append(name)
            on_applied(name)
    finally:
        db.close_all()
    return done


def _url(database: str | None) -> str:
    if database:
        return database
    try:
        return Config.from_env().database_url
    except ConfigError as exc:
        raise MigrateError(str(exc)) from None


def _report_list(url: str, directory: Path) -> None:
    found = status(url, directory)
    click.echo(f"{shown_url(url)}:")
    for name in _names(directory):
        click.echo(f"- [{'x' if name in found.applied else ' '}] {name}")
    for name in found.unknown:
        click.echo(f"- [?] {name} (recorded in the database, not shipped with this code)")
    click.echo(f"{len(found.pending)} pending" if found.pending else "up to date")


def _report_apply(url: str, directory: Path) -> None:
    shown = shown_url(url)
    names = apply_pending(url, on_applied=lambda name: click.echo(f"applied {name}"),
                          directory=directory)
    if names:
        click.echo(f"{shown}: up to date ({len(names)} migration(s) applied)")
    else:
        click.echo(f"{shown}: already up to date ({len(_names(directory))} migrations)")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database", metavar="URL",
              help="default: DATABASE_URL, else the SQLite file in the data directory")
@click.option("--migrations", "directory", metavar="DIR", type=click.Path(path_type=Path),
              default=MIGRATIONS_DIR,
              help="the migrations folder (default: the one shipped with this janus)")
@click.option("--list", "show_list", is_flag=True,
              help="show applied and pending migrations; change nothing")
def cli(database, directory, show_list):
    """Apply Janus's pending migrations (its own migrations/, from any directory)."""
    try:
        url = _url(database)
        (_report_list if show_list else _report_apply)(url, directory.resolve())
    except MigrateError as exc:
        text = str(exc).replace("\r", "\\r").replace("\n", "\\n")
        click.echo(f"janus-migrate: {text}", err=True)
        sys.exit(1)


def main() -> None:
    cli(prog_name="janus-migrate")


if __name__ == "__main__":
    main()
