"""peewee-migrate settings, read by a plain ``pw_migrate migrate``.

pw_migrate ignores DATABASE_URL and does not set SQLite pragmas, so this file
builds the database the same way the app does. An explicit ``--database``
on the command line still wins. ``janus`` is importable because ``make
install`` installs the project (editable) into the virtualenv.

pw_migrate only reads this file when its ``--directory`` (default
``migrations``, relative to the current directory) holds it, so it must run
from the repository root. A bad DATABASE_URL or setting is one line on
stderr and exit status 1, not a traceback.
"""
import sys

from janus.config import Config, ConfigError
from janus.db import DatabaseURLError, make_database

if "--database" not in " ".join(sys.argv):
    try:
        DATABASE = make_database(Config.from_env().database_url, pool_size=1)
    except (ConfigError, DatabaseURLError) as exc:
        named = "DATABASE_URL: " if isinstance(exc, DatabaseURLError) else ""
        print(f"pw_migrate: {named}{exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None

# The abstract base model must never become a table.
IGNORE = ["basemodel"]
