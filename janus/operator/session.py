"""The operator's session: the system actor, where its rows say they came
from, the database connection, and how failures become one line."""
from __future__ import annotations

import contextlib
import getpass
import socket

import peewee as pw

from janus import audit, passwords
from janus.access import Actor, Client
from janus.config import Config
from janus.db import shown_url
from janus.errors import first_line
from janus.seeds.connection import connected

USER_AGENT = "janus-admin"


class CommandError(Exception):
    """A failure to report on one line (exit status 1)."""


def whoami() -> tuple[str, str]:
    try:
        os_user = getpass.getuser()
    except Exception:  # no login name (a container without passwd entry)
        os_user = "unknown"
    return os_user, socket.gethostname()


def system_actor() -> Actor:
    """No user; superadmin level; security rows get ip NULL and user agent
    ``janus-admin (os_user@host)``."""
    os_user, host = whoami()
    return Actor(user=None, level="superadmin",
                 client=Client(ip=None, user_agent=f"{USER_AGENT} ({os_user}@{host})"))


@contextlib.contextmanager
def session(config: Config):
    """Connected to ``config.database_url`` (migrated, else CommandError),
    argon2 configured, every audit row stamped ``{"via": "cli", ...}``."""
    from janus.seeds.schema import SeedError

    passwords.configure(config.argon2_time_cost, config.argon2_memory_kib)
    os_user, host = whoami()
    try:
        with connected(config.database_url) as db, \
                audit.origin({"via": "cli", "os_user": os_user, "host": host}):
            try:
                yield db
            except pw.DatabaseError as exc:
                raise CommandError(f"database error on {shown_url(config.database_url)}: "
                                   f"{first_line(exc)}") from None
    except SeedError as exc:
        raise CommandError(exc.message) from None
