"""Janus with its connection pool swapped for a plain peewee database.

Bench-only (``gunicorn bench.nopool:app``): janus/ is unchanged. The app is
built as usual, then the shared proxy is pointed at a non-pooled database of
the same URL (SQLite with the same pragmas), so every request really opens
and closes a connection -- what Janus would cost without its pool.
"""
from bench.connections import unpooled
from janus.config import Config
from janus.db import database
from janus.web.app import create_app

config = Config.from_env()
app = create_app(config)
_pooled = database.obj
database.initialize(unpooled(config.database_url))
_pooled.close_all()
