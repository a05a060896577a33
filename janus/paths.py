"""Where Janus's shipped files and its data are: in a checkout or an installed wheel.

The repository keeps ``migrations/`` and ``seeds/`` at its root. A built wheel
carries copies of them inside the package, as ``janus/_migrations`` and
``janus/_seeds`` (setup.py maps them there), so an installed Janus needs no
checkout. Which of the two this is, is decided once, by whether the packaged
copy exists: a checkout never has ``janus/_migrations``, a wheel always does.

The data directory (JANUS_DATA_DIR unset) follows from that: a checkout keeps
its ``instance/`` (``make serve`` as before); an installed package uses the
platform's per-user data folder, never the working directory, so that
``janus-migrate`` run from ``/`` and ``janus-serve`` run from elsewhere find
the same SQLite file.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The repository root when running from a checkout (editable install or
# PYTHONPATH); in an installed wheel, site-packages, where nothing below is used.
PROJECT_ROOT = PACKAGE_DIR.parent
INSTALLED = (PACKAGE_DIR / "_migrations").is_dir()

MIGRATIONS_DIR = PACKAGE_DIR / "_migrations" if INSTALLED else PROJECT_ROOT / "migrations"
SEEDS_DIR = PACKAGE_DIR / "_seeds" if INSTALLED else PROJECT_ROOT / "seeds"


def platform_data_dir(env=None) -> Path:
    """``$XDG_DATA_HOME/janus``, else ``~/.local/share/janus`` (the XDG base
    directory rule that Linux desktops and servers share)."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "janus"


def default_data_dir(env=None) -> Path:
    """The data directory when JANUS_DATA_DIR is unset."""
    return platform_data_dir(env) if INSTALLED else PROJECT_ROOT / "instance"
