"""Is the database reachable? (GET /health)"""
from __future__ import annotations

from janus.db import database, is_postgres


def check_database() -> str:
    """The backend's name after a trivial query; raises the driver's
    OperationalError (a 503 over HTTP) when the database cannot answer."""
    database.execute_sql("SELECT 1").fetchone()
    return "postgresql" if is_postgres() else "sqlite"
