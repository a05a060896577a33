"""``janus-migrate`` / ``python -m janus.migrate``: bring a database to the
latest migration, from any directory.

pw_migrate reads ``./migrations`` relative to the current directory: run
anywhere but the repository root it creates an empty ``migrations/`` there,
applies nothing and says OK. This command always applies the package's own
files (``janus.migrations_status.MIGRATIONS_DIR``, an absolute path) through
peewee-migrate's Router, on a database built as the app builds it
(``janus.db.make_database``: SQLite pragmas included), and says what it
applied. A bad URL, an unreachable database or a failing migration is one
line on stderr and exit status 1, never a traceback.
"""
from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import click
import peewee as pw
from peewee_migrate import Router

from janus.config import Config, ConfigError
from janus.db import DatabaseURLError, make_database, sqlite_path
from janus.migrations_status import (
    MIGRATIONS_DIR,
    MigrationsFolderError,
    applied,
    migration_names,
)
from janus.seeds.connection import first_line, shown_url

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
