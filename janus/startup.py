"""What the service refuses to start without, checked once before any worker
boots (gunicorn.conf.py's ``on_starting``, in the gunicorn master): a file
store it can write, and a database it can reach. Without these checks every
worker booted and answered 500s (an unwritable folder) or 503s (a missing
database) while the cause sat in the log.

Each refusal is a ``StartupRefused`` whose message is one line naming the
variable to fix. ``JANUS_START_WITHOUT_DATABASE=1`` skips the database check
(for orchestrators that start the database after the service, which then
answers 503 until it appears); nothing skips the store check.
"""
from __future__ import annotations

from pathlib import Path

import peewee as pw

from janus.config import Config
from janus.db import make_database, sqlite_path
from janus.migrate import MIGRATE_COMMAND
from janus.services.health import OK, storage_writes
from janus.storage import store_at

ANYWAY = "or set JANUS_START_WITHOUT_DATABASE=1 to start without it"


class StartupRefused(Exception):
    """One line for the operator: the variable, and what is wrong with it."""


def check(config: Config) -> None:
    """Raise StartupRefused unless the service can serve: the store first
    (never skipped), then the database."""
    check_store(config)
    if not config.start_without_database:
        check_database(config.database_url)


def check_store(config: Config) -> None:
    """Write and remove a probe object, as /health/ready does: a folder that
    cannot be created or written, or a bucket that cannot be reached or
    refuses the write, stops the start."""
    variable = "JANUS_STORAGE_URL" if config.storage_url else "JANUS_STORAGE_DIR"
    store = store_at(config.storage_url or config.storage_dir, config)
    verdict = storage_writes(store)  # "ok" or "not writable: <why>"
    if verdict != OK:
        raise StartupRefused(f"{variable}: the file store {store.where} is {verdict}")


def check_database(url: str) -> None:
    """Connect once and run ``SELECT 1``. A SQLite file that does not exist is
    refused rather than created empty (janus-migrate creates it)."""
    path = sqlite_path(url)
    if path is not None and not Path(path).is_file():
        raise StartupRefused(f"DATABASE_URL: the SQLite database {path} does not exist: "
                             f"create it with {MIGRATE_COMMAND}, {ANYWAY}")
    db = make_database(url, pool_size=1)
    try:
        db.connect()
        db.execute_sql("SELECT 1").fetchone()
    except (pw.DatabaseError, pw.InterfaceError) as exc:
        raise StartupRefused(f"DATABASE_URL: cannot reach the database ({_one_line(exc)}): "
                             f"check it, {ANYWAY}") from None
    finally:
        if not db.is_closed():
            db.close()
        if hasattr(db, "close_all"):  # no pooled connection may cross the fork
            db.close_all()


def _one_line(exc: BaseException) -> str:
    """The driver's message on one line (psycopg2's span several, with tabs)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
