"""GET /console/static/<name>: the console's stylesheet (and any small
script), served from this package; only the files in static/ exist."""
from __future__ import annotations

from pathlib import Path

from bottle import static_file

from janus.errors import NotFound

STATIC = Path(__file__).resolve().parent / "static"
FILES = frozenset(path.name for path in STATIC.iterdir() if path.is_file())


def register(console) -> None:
    @console.public("GET", "/console/static/<name>", database=False)
    def console_static(name):
        if name not in FILES:
            raise NotFound(f"no such file: {name}")
        sent = static_file(name, root=str(STATIC))
        sent.set_header("Cache-Control", "public, max-age=3600")
        return sent
