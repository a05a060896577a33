"""``python -m janus.backup create|restore``.

Success prints one line on stdout. Every failure -- a missing or damaged
archive, an unreachable database, a missing pg_dump, a target that is not
empty, a bad option -- prints exactly one line on stderr and exits non-zero
(1; 2 for usage errors; 130 when interrupted), never a traceback.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from janus.backup.common import BackupError, first_line, human_size, shown_url
from janus.config import Config, ConfigError

PROG = "python -m janus.backup"


def _fail(message: str) -> None:
    """Exactly one line on stderr, whatever the message holds."""
    click.echo(message.replace("\r", "\\r").replace("\n", "\\n"), err=True)


def _target(database: str | None, storage_dir: Path | None) -> tuple[str, Path]:
    overrides = {} if storage_dir is None else {"JANUS_STORAGE_DIR": storage_dir}
    config = Config.from_env(overrides)
    return database or config.database_url, config.storage_dir


class OneLineGroup(click.Group):
    """Turns every error into one stderr line and an exit status."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # click would print an extra blank line for it
            raise click.Abort() from None

    def main(self, args=None, prog_name=None, **extra):
        extra["standalone_mode"] = False
        try:
            result = super().main(args, prog_name or PROG, **extra)
        except click.ClickException as exc:
            _fail(f"{PROG}: {exc.format_message()}")
            sys.exit(exc.exit_code)
        except click.Abort:
            _fail(f"{PROG}: interrupted")
            sys.exit(130)
        except BackupError as exc:
            _fail(str(exc))
            sys.exit(1)
        except ConfigError as exc:
            _fail(f"{PROG}: {exc}")
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - the contract is one line, never a traceback
            _fail(f"{PROG}: unexpected {type(exc).__name__}: {first_line(exc)}")
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


database_option = click.option(
    "--database", metavar="URL",
    help="database URL (default: DATABASE_URL, else the instance SQLite file)")
storage_option = click.option(
    "--storage-dir", type=click.Path(file_okay=False, path_type=Path),
    help="file store (default: JANUS_STORAGE_DIR, else <JANUS_DATA_DIR>/storage)")


@click.group(cls=OneLineGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """Back up and restore Janus: the database and the file store in one archive."""


@cli.command()
@click.option("--to", "to_dir", type=click.Path(file_okay=False, path_type=Path),
              envvar="JANUS_BACKUP_DIR",
              help="directory the archive is written to (or JANUS_BACKUP_DIR; "
                   "default: <JANUS_DATA_DIR>/backups)")
@click.option("--keep", type=click.IntRange(min=1), metavar="N",
              help="afterwards, delete all but the newest N archives in that directory")
@click.option("--gzip", "compress", is_flag=True,
              help="write .tar.gz (images and pg_dump output are compressed already)")
@database_option
@storage_option
def create(to_dir, keep, compress, database, storage_dir):
    """Write a consistent archive while the service keeps running."""
    from janus.backup.create import create_backup

    url, storage = _target(database, storage_dir)
    to_dir = to_dir or Config.from_env().backup_dir
    done = create_backup(url, storage, to_dir, keep=keep, compress=compress)
    m = done.manifest
    pruned = f"; removed {len(done.pruned)} older" if done.pruned else ""
    click.echo(f"backup written: {done.path} ({human_size(done.path.stat().st_size)}, "
               f"{sum(m.counts.values())} rows, {len(m.files)} files, "
               f"{done.seconds:.2f} s){pruned}")


@cli.command()
@click.argument("archive", metavar="ARCHIVE")
@click.option("--force", is_flag=True,
              help="overwrite a database that has users and a non-empty storage dir")
@database_option
@storage_option
def restore(archive, force, database, storage_dir):
    """Verify ARCHIVE, then restore it into the database and storage dir.

    Stop the service first."""
    from janus.backup.restore import restore_backup

    url, storage = _target(database, storage_dir)
    done = restore_backup(Path(archive), url, storage, force=force)
    counts = ", ".join(f"{table} {n}" for table, n in done.manifest.counts.items())
    migrated = ", ".join(done.migrated) or "none pending"
    removed = f", {done.removed} other files removed" if done.removed else ""
    click.echo(f"restored {archive} into {shown_url(url)} and {storage}: {counts}; "
               f"{done.files} files{removed}; migrations applied: {migrated} "
               f"({done.seconds:.2f} s)")


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0
