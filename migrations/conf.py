"""peewee-migrate settings, read by a plain ``pw_migrate migrate``.

pw_migrate ignores DATABASE_URL and does not set SQLite pragmas, so this file
builds the database the same way the app does. An explicit ``--database``
on the command line still wins.
"""
import os
import sys

# pw_migrate runs from the project root (its default --directory is
# ./migrations); make the janus package importable without installing it.
sys.path.insert(0, os.getcwd())

from janus.config import Config  # noqa: E402
from janus.db import make_database  # noqa: E402

if "--database" not in " ".join(sys.argv):
    DATABASE = make_database(Config.from_env().database_url, pool_size=1)

# The abstract base model must never become a table.
IGNORE = ["basemodel"]
