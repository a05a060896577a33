"""What every backup module shares: the one error type the command line turns
into a single stderr line, and small helpers for database URLs."""
from __future__ import annotations

from urllib.parse import urlsplit


class BackupError(Exception):
    """A failure reported as one line on stderr with a non-zero exit."""


def backend_of(url: str) -> str:
    """``"sqlite"`` or ``"postgresql"`` for a Janus DATABASE_URL."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgres", "postgresql"):
        return "postgresql"
    raise BackupError(f"unsupported database URL scheme {scheme!r}: "
                      "use sqlite:////abs/path.db or postgresql://...")


def human_size(n: float) -> str:
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1024
        if n < 1024 or unit == "TB":
            break
    return f"{n:.1f} {unit}"
