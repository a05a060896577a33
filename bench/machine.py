"""What the figures ran on: CPUs, load, versions (the header of every run's
table and JSON; bench.report prints it, bench.generate records it)."""
from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata

PACKAGES = ("gunicorn", "peewee", "bottle", "msgspec", "psycopg2-binary", "peewee-migrate",
            "pillow")


def machine(pg_version: str | None) -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "nproc": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(), "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version, "postgresql": pg_version, "packages": versions,
    }
