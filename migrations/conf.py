"""peewee-migrate settings, read by a plain ``pw_migrate migrate``.

pw_migrate ignores DATABASE_URL and does not set SQLite pragmas, so this file
builds the database the same way the app does. An explicit ``--database``
on the command line still wins. ``janus`` is importable because ``make
install`` installs the project (editable) into the virtualenv.
"""
import sys

from janus.config import Config
from janus.db import make_database

if "--database" not in " ".join(sys.argv):
    DATABASE = make_database(Config.from_env().database_url, pool_size=1)

# The abstract base model must never become a table.
IGNORE = ["basemodel"]
