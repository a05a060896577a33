"""``janus-serve``: gunicorn serving Janus with janus.serving's settings (those
gunicorn.conf.py gives ``gunicorn app:app`` in a checkout), from any
directory, reading no gunicorn.conf.py or GUNICORN_CMD_ARGS: the JANUS_*
variables are the one way to configure it."""
from __future__ import annotations

import sys

from gunicorn.app.base import BaseApplication

USAGE = ("janus-serve takes no arguments: it is configured by the JANUS_* variables "
         "(JANUS_BIND, JANUS_WORKERS, JANUS_THREADS, ...; docs/configuration.md)")


class JanusServer(BaseApplication):
    def __init__(self, values: dict):
        self._values = values
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._values.items():
            self.cfg.set(name, value)

    def load(self):
        from janus.wsgi import app
        return app


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["-h"], ["--help"]):
        print(USAGE)
        return
    if args:
        print(f"janus-serve: {USAGE}", file=sys.stderr)
        raise SystemExit(1)
    from janus.serving import settings
    JanusServer(settings()).run()


if __name__ == "__main__":
    main()
