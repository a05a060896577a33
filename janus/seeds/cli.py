"""``python -m janus.seeds``: argument parsing, the one transaction, and the
one-line report (stdout on success, stderr and exit status 1 on any problem --
never a traceback). The connection is janus.seeds.connection's."""
from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import datetime
from pathlib import Path

import peewee as pw

from janus.config import Config, ConfigError
from janus.db import is_postgres, shown_url
from janus.errors import first_line
from janus.models import User, utcnow
from janus.paths import SEEDS_DIR
from janus.seeds.connection import connected, fail
from janus.seeds.files import read_file
from janus.seeds.loader import Loader
from janus.seeds.schema import DOMAINS, SeedError

SEED_DIR = SEEDS_DIR  # the checkout's seeds/, or the wheel's copy (janus.paths)
# Any constant will do: concurrent loaders on one PostgreSQL database queue on it.
_PG_LOCK_ID = 0x4A414E5553  # "JANUS"


@contextlib.contextmanager
def locked_transaction(db):
    """One transaction that also keeps a second loader out until it ends."""
    if is_postgres(db):
        with db.atomic() as txn:
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_ID,))
            yield txn
    else:
        with db.atomic("IMMEDIATE") as txn:  # takes SQLite's write lock at BEGIN
            yield txn


def load(url: str, directory: Path, domains=DOMAINS, if_empty: bool = False,
         now: datetime | None = None, config: Config | None = None) -> dict[str, int] | None:
    """Load ``domains`` from ``directory`` into ``url``; rows added per domain,
    or None when ``if_empty`` found users already there. Raises SeedError.

    ``config`` (default: from the environment) says where image files are
    stored and the limits they are checked against."""
    now = now or utcnow()
    config = config or Config.from_env()
    domains = [d for d in DOMAINS if d in domains]
    directory = Path(directory)
    if not directory.is_dir():
        raise SeedError(f"seed directory {directory} does not exist or is not a directory")
    try:
        with connected(url) as db:
            if if_empty and User.select().exists():
                return None
            # Every file is decoded and checked before the transaction starts.
            files = {domain: read_file(directory, domain, now, config) for domain in domains}
            loader = Loader(files, config)
            try:
                with locked_transaction(db):
                    if if_empty and User.select().exists():  # another loader won the race
                        return None
                    return loader.run()
            except BaseException:
                loader.release_new_files()  # the rows are rolled back: their files go too
                raise
    except pw.DatabaseError as exc:
        raise SeedError(f"database error on {shown_url(url)}: {first_line(exc)}") from None


def _domains(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in DOMAINS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown domain {', '.join(unknown) or repr(value)}: choose from {', '.join(DOMAINS)}")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m janus.seeds",
        description="Load the demo data in seeds/*.json into a migrated database, in one "
                    "transaction. Records that already exist are skipped, so running it "
                    "again adds nothing.")
    parser.add_argument("--only", metavar="DOMAIN", action="append", type=_domains,
                        help=f"load only this domain ({', '.join(DOMAINS)}); repeat the option "
                             "or separate names with commas. References to other domains "
                             "must then already be in the database.")
    parser.add_argument("--database", metavar="URL",
                        help="database URL (default: DATABASE_URL, else the instance SQLite file)")
    parser.add_argument("--if-empty", action="store_true",
                        help="do nothing when the users table already has rows")
    parser.add_argument("--dir", metavar="PATH", type=Path, default=SEED_DIR,
                        help=f"directory holding the seed files (default: {SEED_DIR})")
    parser.add_argument("--storage-dir", metavar="PATH", type=Path,
                        help="a folder where image files are stored, as uploads are (default: "
                             "the service's store: JANUS_STORAGE_URL, else JANUS_STORAGE_DIR, "
                             "else instance/storage)")
    parser.add_argument("--generate", metavar="DOMAIN=COUNT,...",
                        help="instead of the seed files, add COUNT synthetic rows per domain "
                             "(e.g. users=1000,logs=1000000); see janus.seeds.generate")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.generate is not None:
        from janus.seeds.generate import main as generate_main
        others = [name for name, value in (("--only", args.only), ("--if-empty", args.if_empty),
                                           ("--storage-dir", args.storage_dir)) if value]
        return generate_main(args.generate, args.database, others)
    domains = DOMAINS if not args.only else {name for group in args.only for name in group}
    try:
        config = Config.from_env(
            # --storage-dir names a folder: it wins over a bucket (JANUS_STORAGE_URL) too.
            None if args.storage_dir is None else {"JANUS_STORAGE_DIR": args.storage_dir,
                                                   "JANUS_STORAGE_URL": ""})
        url = args.database or config.database_url
        added = load(url, args.dir, domains, if_empty=args.if_empty, config=config)
    except (SeedError, ConfigError) as exc:
        fail(str(exc) if isinstance(exc, SeedError) else f"janus.seeds: {exc}")
        return 1
    except KeyboardInterrupt:
        print("janus.seeds: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the contract is one line, never a traceback
        fail(f"janus.seeds: unexpected {type(exc).__name__}: {first_line(exc)}")
        return 1
    if added is None:
        print(f"seeds skipped: {shown_url(url)} already has users (--if-empty)")
    else:
        counts = ", ".join(f"{domain} +{n}" for domain, n in added.items())
        print(f"seeded {shown_url(url)}: {counts}")
    return 0
