"""C1: what ``?count=true`` costs on the big-data logs (bench/bigdata.py).

The same first page of ``GET /logs?limit=50`` as the admin (every row
visible), with and without ``count=true``: the count reads every matching
row (an index-only count at best), the page only fifty. Twice: over every
log, and over one user's (``user_id=``, the (user_id, timestamp, id) index
serves both the page and the count), the filtered list a client pages most.
"""
from __future__ import annotations

from bench import inprocess
from janus.db import database

LIMIT = 50


def busiest_user() -> int:
    """The user with the most logs: the costliest filtered count there is."""
    with database.connection_context():
        (user_id,), = database.execute_sql(
            "SELECT user_id FROM logs WHERE user_id IS NOT NULL GROUP BY user_id "
            "ORDER BY COUNT(*) DESC LIMIT 1").fetchall()
    return user_id


def paths(user_id: int) -> dict[str, str]:
    """op name -> the request it times."""
    every, own = f"/logs?limit={LIMIT}", f"/logs?limit={LIMIT}&user_id={user_id}"
    return {"list": every, "list_count": every + "&count=true",
            "user_list": own, "user_list_count": own + "&count=true"}


def check(app, token: str, user_id: int, logs: int) -> dict:
    """The totals the routes answer (the unfiltered one must be every log)."""
    found = {name: inprocess.get_json(app, path, token)["total"]
             for name, path in paths(user_id).items() if name.endswith("_count")}
    assert found["list_count"] == logs, found
    return found


def ops(app, token: str, user_id: int) -> dict:
    return {name: (lambda path=path: inprocess.call(app, "GET", path, token))
            for name, path in paths(user_id).items()}
