"""``python -m janus.backup create|restore|copy-store``.

Success prints one line on stdout. Every failure -- a missing or damaged
archive, an unreachable database, a missing pg_dump, a target that is not
empty, a bad option -- prints exactly one line on stderr and exits non-zero
(1; 2 for usage errors; 130 when interrupted), never a traceback.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from janus.backup.common import BackupError, human_size
from janus.config import Config, ConfigError
from janus.db import shown_url
from janus.errors import first_line

PROG = "python -m janus.backup"


def _fail(message: str) -> None:
    """Exactly one line on stderr, whatever the message holds."""
    click.echo(message.replace("\r", "\\r").replace("\n", "\\n"), err=True)


def _target(database: str | None, storage_dir: Path | None, storage_url: str | None):
    """(database URL, store, config): the options, else the service's own
    settings (JANUS_STORAGE_URL, else JANUS_STORAGE_DIR)."""
    if storage_dir is not None and storage_url is not None:
        raise click.UsageError("give --storage-dir or --storage-url, not both")
    config = Config.from_env()
    if storage_url is not None:
        store = _store(storage_url, config, "--storage-url")
    elif storage_dir is not None:
        store = _store(storage_dir, config, "--storage-dir")
    else:
        store = _store(config.storage_url or config.storage_dir, config, "the file store")
    return database or config.database_url, store, config


def _store(where, config, what: str):
    """The store at ``where`` (a folder or s3://...), or one line naming ``what``."""
    from janus.storage import S3Location, is_s3_url, store_at
    if what == "--storage-url" and not is_s3_url(str(where)):
        raise click.BadParameter(f"must be s3://bucket/prefix, got {str(where)!r}",
                                 param_hint="--storage-url")
    if is_s3_url(str(where)):
        try:
            S3Location.parse(str(where))
        except ValueError as exc:
            raise BackupError(f"{what} {exc}") from None
    try:
        return store_at(where, config)
    except OSError as exc:
        raise BackupError(f"cannot create storage dir {where}: {exc.strerror or exc}") from None


class OneLineGroup(click.Group):
    """Turns every error into one stderr line and an exit status."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # click would print an extra blank line for it
            raise click.Abort() from None

    def main(self, args=None, prog_name=None, **extra):
        extra["standalone_mode"] = False
        # The service's log lines (a store that is down, ...) are not this
        # command's: its one line says what failed. Without a handler,
        # Python's last resort would print them to stderr too.
        logging.getLogger("janus").addHandler(logging.NullHandler())
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
    help="a local file store (default: the service's: JANUS_STORAGE_URL when set, "
         "else JANUS_STORAGE_DIR, else <JANUS_DATA_DIR>/storage)")
storage_url_option = click.option(
    "--storage-url", metavar="s3://BUCKET/PREFIX",
    help="a file store in a bucket (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ... as for the "
         "service)")


def _with_store_options(command):
    return database_option(storage_option(storage_url_option(command)))


@click.group(cls=OneLineGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """Back up and restore Janus: the database and the file store in one archive;
    copy a file store into a bucket."""


@cli.command()
@click.option("--to", "to", metavar="DIR|s3://BUCKET/PREFIX", envvar="JANUS_BACKUP_DIR",
              help="directory or bucket prefix the archive is written to (or "
                   "JANUS_BACKUP_DIR; default: <JANUS_DATA_DIR>/backups)")
@click.option("--keep", type=click.IntRange(min=1), metavar="N",
              help="afterwards, delete all but the newest N archives there")
@click.option("--gzip", "compress", is_flag=True,
              help="write .tar.gz (images and pg_dump output are compressed already)")
@_with_store_options
def create(to, keep, compress, database, storage_dir, storage_url):
    """Write a consistent archive while the service keeps running."""
    from janus.backup.create import create_backup
    from janus.storage import is_s3_url

    url, store, config = _target(database, storage_dir, storage_url)
    if to and is_s3_url(to):
        return _create_in_bucket(to, keep, compress, url, store, config)
    done = create_backup(url, store, Path(to) if to else config.backup_dir,
                         keep=keep, compress=compress)
    m = done.manifest
    pruned = f"; removed {len(done.pruned)} older" if done.pruned else ""
    click.echo(f"backup written: {done.path} ({human_size(done.path.stat().st_size)}, "
               f"{sum(m.counts.values())} rows, {len(m.files)} files, "
               f"{done.seconds:.2f} s){pruned}")
    return 0


def _create_in_bucket(to, keep, compress, url, store, config):
    """Built and verified on local disk (under the backup dir), then uploaded."""
    import shutil
    import tempfile

    from janus.backup import archive, remote
    from janus.backup.create import create_backup

    location = remote.parse(to, "--to")
    staging = archive.private_folder(config.backup_dir)
    try:
        work = Path(tempfile.mkdtemp(dir=staging, prefix=".janus-backup-upload-"))
    except OSError as exc:
        raise BackupError(f"cannot create backup dir {staging}: {exc.strerror or exc}") from None
    try:
        done = create_backup(url, store, work, compress=compress)
        size = done.path.stat().st_size
        where, pruned = remote.publish(done.path, location, config.s3_settings, keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    m = done.manifest
    removed = f"; removed {len(pruned)} older" if pruned else ""
    click.echo(f"backup written: {where} ({human_size(size)}, {sum(m.counts.values())} rows, "
               f"{len(m.files)} files, {done.seconds:.2f} s){removed}")
    return 0


@cli.command()
@click.argument("archive", metavar="ARCHIVE")
@click.option("--force", is_flag=True,
              help="overwrite a database that has users and a file store that is not empty "
                   "(never a database a running service uses)")
@_with_store_options
def restore(archive, force, database, storage_dir, storage_url):
    """Verify ARCHIVE (a file, or s3://bucket/prefix/janus-backup-....tar),
    then restore it into the database and the file store (a folder or a
    bucket, whichever the target is configured with).

    Stop the service first: a database a running service uses is refused."""
    from janus.backup.restore import restore_backup
    from janus.storage import is_s3_url

    url, store, config = _target(database, storage_dir, storage_url)
    if is_s3_url(archive):
        from janus.backup import remote
        with remote.fetched(archive, config.s3_settings, config.backup_dir) as local:
            done = restore_backup(local, url, store, force=force)
    else:
        done = restore_backup(Path(archive), url, store, force=force)
    counts = ", ".join(f"{table} {n}" for table, n in done.manifest.counts.items())
    migrated = ", ".join(done.migrated) or "none pending"
    removed = f", {done.removed} other files removed" if done.removed else ""
    click.echo(f"restored {archive} into {shown_url(url)} and {store.where}: {counts}; "
               f"{done.files} files{removed}; migrations applied: {migrated} "
               f"({done.seconds:.2f} s)")
    return 0


@cli.command("copy-store")
@click.option("--from", "source", metavar="DIR|s3://BUCKET/PREFIX",
              help="the store to copy (default: JANUS_STORAGE_DIR, else "
                   "<JANUS_DATA_DIR>/storage)")
@click.option("--to", "target", metavar="s3://BUCKET/PREFIX|DIR",
              help="the store to fill (default: JANUS_STORAGE_URL)")
@click.option("--thumbnails", is_flag=True, help="copy the cached thumbnails too")
def copy_store_command(source, target, thumbnails):
    """Copy every original (and, with --thumbnails, every cached thumbnail)
    from one file store into another, checking each object's SHA-256 against
    its key on both sides. Idempotent: run it again to resume or to check."""
    from janus.backup.copystore import copy_store

    config = Config.from_env()
    target = target or config.storage_url
    if not target:
        raise click.UsageError("give --to s3://bucket/prefix (or set JANUS_STORAGE_URL)")
    source_store = _store(source or config.storage_dir, config, "--from")
    target_store = _store(target, config, "--to")
    done = copy_store(source_store, target_store, thumbnails=thumbnails)
    thumbs = f", {done.thumbnails} thumbnails" if thumbnails else ""
    vanished = f", {done.vanished} gone from the source meanwhile" if done.vanished else ""
    click.echo(f"copied {source_store.where} to {target_store.where}: {done.originals} "
               f"originals copied, {done.present} already there, {done.verified} verified"
               f"{thumbs}{vanished}; {human_size(done.bytes)} in {done.seconds:.2f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0
