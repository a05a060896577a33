"""peewee-migrate settings, read by a plain ``pw_migrate migrate``.

pw_migrate ignores DATABASE_URL and does not set SQLite pragmas, so this file
builds the database the same way the app does. An explicit ``--database``
on the command line still wins. ``janus`` is importable because ``make
install`` installs the project (editable) into the virtualenv.

pw_migrate only reads this file when its ``--directory`` (default
``migrations``, relative to the current directory) holds it, so run it
from the repository root (or give ``--directory`` this folder); a copy of
the directory elsewhere (or another checkout's) is refused. ``janus-migrate``
(janus.migrate) works from any directory and does not read this file. A bad
DATABASE_URL or setting is one line on stderr and exit status 1, not a
traceback.
"""
import sys
from pathlib import Path

from janus.config import PROJECT_ROOT, Config, ConfigError
from janus.db import DatabaseURLError, make_database


def _stop(message: str) -> None:
    print(f"pw_migrate: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def _directory(argv: list[str]) -> Path:
    """The --directory pw_migrate was given (its default: ./migrations)."""
    for i, arg in enumerate(argv):
        if arg == "--directory" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--directory="):
            return Path(arg.split("=", 1)[1])
    return Path("migrations")


# A copy of these migrations, or another checkout's, would be applied with the
# installed janus's models and settings: refuse it.
if Path(sys.argv[0]).name == "pw_migrate":
    _given = _directory(sys.argv).resolve()
    if _given != PROJECT_ROOT / "migrations":
        _stop(f"{_given} is not the migrations directory of the installed janus "
              f"({PROJECT_ROOT / 'migrations'}): run pw_migrate from {PROJECT_ROOT}, "
              f"or janus-migrate from anywhere")

if "--database" not in " ".join(sys.argv):
    try:
        DATABASE = make_database(Config.from_env().database_url, pool_size=1)
    except ConfigError as exc:
        _stop(str(exc))
    except DatabaseURLError as exc:  # its messages do not all name the variable
        _stop(f"DATABASE_URL: {exc}")

# The abstract base model must never become a table.
IGNORE = ["basemodel"]
