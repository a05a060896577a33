"""B5's baseline: the four aggregations of janus/summary.py written by hand.

The same figures ``GET /analytics/summary`` computes for an admin (every
row), as plain SQL strings run with ``execute_sql`` on Janus's pooled database
(``connect`` from the pool, four statements, ``close``) and fetched as
tuples; nothing is folded into a response. ``check`` compares the totals with
the route's answer, so the baseline is known to do the same work.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from janus.db import database, is_postgres
from janus.models import utcnow

# name -> (table, timestamp column): the order of janus.summary._counts
COUNTED = {"users": ("users", "created_at"), "images": ("images", "created_at"),
           "logs": ("logs", "timestamp"), "analytics": ("analytics", "created_at"),
           "security": ("security", "timestamp"), "admins": ("admins", "created_at")}


def statements(postgres: bool) -> dict[str, str]:
    """name -> SQL; every ``{p}`` is the window's start, as a parameter."""
    p = "%s" if postgres else "?"

    def day(column: str) -> str:
        return f"CAST({column} AS DATE)" if postgres else f"DATE({column})"

    counts = ", ".join(f'(SELECT COUNT(id) FROM "{table}"), '
                       f'(SELECT COUNT(id) FROM "{table}" WHERE "{when}" >= {p})'
                       for table, when in COUNTED.values())
    return {
        "counts": f"SELECT {counts}",
        "images": 'SELECT i.format, i.color_type, i.owner_id, u.username, COUNT(i.id) '
                  'FROM images i JOIN users u ON i.owner_id = u.id '
                  f'WHERE i.created_at >= {p} '
                  'GROUP BY i.format, i.color_type, i.owner_id, u.username',
        "logs": f'SELECT {day("timestamp")}, action, COUNT(id) FROM logs '
                f'WHERE timestamp >= {p} GROUP BY {day("timestamp")}, action',
        "failed_logins": f'SELECT {day("timestamp")}, COUNT(id) FROM security '
                         f"WHERE timestamp >= {p} AND action = 'login_failed' "
                         f'GROUP BY {day("timestamp")} ORDER BY {day("timestamp")}',
    }


def run(days: int, since: datetime | None = None) -> dict[str, list[tuple]]:
    """Every statement's rows, over the last ``days`` days (or from ``since``,
    naive UTC: the check uses the route's own window start)."""
    since = since or utcnow() - timedelta(days=days)
    sql = statements(is_postgres())
    with database.connection_context():
        out = {"counts": database.execute_sql(sql["counts"],
                                              (since,) * len(COUNTED)).fetchall()}
        for name in ("images", "logs", "failed_logins"):
            out[name] = database.execute_sql(sql[name], (since,)).fetchall()
    return out


def check(route: dict, rows: dict[str, list[tuple]]) -> list[str]:
    """Differences between the route's answer and the hand-written SQL's rows
    (empty when they agree on every total)."""
    problems = []
    values = rows["counts"][0]
    for n, name in enumerate(COUNTED):
        got = route["counts"][name]
        mine = {"total": values[2 * n], "in_window": values[2 * n + 1]}
        if got != mine:
            problems.append(f"counts.{name}: route {got}, SQL {mine}")
    sums = {"images": sum(r[-1] for r in rows["images"]),
            "logs": sum(r[-1] for r in rows["logs"]),
            "failed_logins": sum(r[-1] for r in rows["failed_logins"])}
    route_sums = {"images": sum(x["count"] for x in route["images_by_format"]),
                  "logs": sum(x["count"] for x in route["actions_per_day"]),
                  "failed_logins": sum(x["count"] for x in route["failed_logins_per_day"])}
    for name, total in sums.items():
        if route_sums[name] != total:
            problems.append(f"{name}: route {route_sums[name]}, SQL {total}")
    return problems
