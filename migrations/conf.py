"""peewee-migrate settings, read by a plain ``pw_migrate migrate``.

pw_migrate ignores DATABASE_URL and does not set SQLite pragmas, so this file
builds the database the same way the app does. An explicit ``--database``
on the command line still wins. The repository root goes first on
``sys.path``, so ``janus`` is this checkout's (the one these migrations
belong to) after a bare ``pip install -r requirements.txt``, without
``make install``'s editable install, and even beside an installed wheel.

pw_migrate only reads this file when its ``--directory`` (default
``migrations``, relative to the current directory) holds it, so run it
from the repository root (or give ``--directory`` this folder); a copy of
the directory elsewhere is refused (another checkout's is applied with that
checkout's janus). ``janus-migrate`` (janus.migrate) works from any
directory and does not read this file. A bad
DATABASE_URL or setting is one line on stderr and exit status 1, not a
traceback.
"""
import sys
from pathlib import Path


def _stop(message: str) -> None:
    print(f"pw_migrate: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def _directory(argv: list[str]) -> Path:
    """The --directory pw_migrate was given (its default: ./migrations).
    pw_migrate runs this file without ``__file__``: this is how it is found."""
    for i, arg in enumerate(argv):
        if arg == "--directory" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--directory="):
            return Path(arg.split("=", 1)[1])
    return Path("migrations")


_given = _directory(sys.argv).resolve()
# The checkout these migrations belong to, first on sys.path: its janus is the
# one they are applied with (a copy of the folder has no janus/ beside it).
if (_given.parent / "janus" / "__init__.py").is_file() and \
        sys.path[:1] != [str(_given.parent)]:
    sys.path.insert(0, str(_given.parent))

from janus.config import Config, ConfigError  # noqa: E402 - needs the path above
from janus.db import DatabaseURLError, make_database  # noqa: E402
from janus.paths import MIGRATIONS_DIR, PROJECT_ROOT  # noqa: E402

# A copy of these migrations would be applied with the installed janus's
# models and settings: refuse it.
if Path(sys.argv[0]).name == "pw_migrate" and _given != MIGRATIONS_DIR:
    _stop(f"{_given} is not the migrations directory of the installed janus "
          f"({MIGRATIONS_DIR}): run pw_migrate from {PROJECT_ROOT}, "
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
