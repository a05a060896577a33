"""A following page of every keyset list is an index range, on both backends,
in the default order and in every declared ``?sort=`` (with filters).

The page query a request really sends (as peewee logs it) is explained by
the database itself (as the prepared statement it is on PostgreSQL): the
plan must read the list's (time, id) index -- or
(owner, time, id) for an owner's own rows -- from the cursor on, in order,
with no sort. The plan text is asserted, never a timing. PostgreSQL would
scan (or sort) a table this small whatever its indexes, so its plan is
asked with sequential and bitmap scans and sorts off: what is left shows
whether an index can serve the range and the order at all (a sort that no
index can spare still shows).
"""
from __future__ import annotations

import logging

import pytest

from janus.db import database, is_postgres
from tests.api.helpers import call, image_body

# route -> (keyset index, the owner's keyset index or None: admins only)
LISTS = {
    "/users": ("users_created_at_id", None),
    "/images": ("images_created_at_id", "images_owner_id_created_at_id"),
    "/logs": ("logs_timestamp_id", "logs_user_id_timestamp_id"),
    "/analytics": ("analytics_created_at_id", "analytics_user_id_created_at_id"),
    "/security-events": ("security_timestamp_id", "security_user_id_timestamp_id"),
}
CASES = [(path, "admin") for path in LISTS] + [
    (path, "owner") for path, (_, owned) in LISTS.items() if owned]


class SentQueries(logging.Handler):
    """The (sql, params) peewee logs for every statement it sends."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sent: list[tuple[str, list]] = []

    def emit(self, record):
        if isinstance(record.msg, tuple) and len(record.msg) == 2:
            self.sent.append(record.msg)


@pytest.fixture
def sent():
    logger, handler = logging.getLogger("peewee"), SentQueries()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler.sent
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def rows(client, superadmin, alice):
    """Two rows of every list that alice owns (and so the admin sees)."""
    for n in range(2):
        assert call(client, "POST", "/images", alice, json=image_body()).status_int == 201
        assert call(client, "POST", "/analytics", alice,
                    json={"research_topic": f"t{n}", "data": {"n": n}}).status_int == 201
        assert call(client, "POST", "/logs", alice,
                    json={"action": f"a{n}", "module": "m"}).status_int == 201
        assert call(client, "POST", "/security-events", superadmin,
                    json={"action": "blocked", "user_id": alice.id}).status_int == 201


def plan(sql: str, params) -> str:
    if is_postgres():
        with database.atomic():
            database.execute_sql("SET LOCAL enable_seqscan = off")
            database.execute_sql("SET LOCAL enable_bitmapscan = off")
            database.execute_sql("SET LOCAL enable_sort = off")
            # An EXECUTE run 5 times already may hold a generic plan made
            # before these settings (by earlier tests on the pooled
            # connection): plan it afresh, with them.
            database.execute_sql("SET LOCAL plan_cache_mode = force_custom_plan")
            lines = database.execute_sql("EXPLAIN " + sql, params).fetchall()
        return "\n".join(line[0] for line in lines)
    lines = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return "\n".join(line[-1] for line in lines)


def page_plan(sent: list, index: str) -> str:
    """The plan of the request's page query. SQLite: the one statement with
    the row-value cursor condition. PostgreSQL runs the hot queries as
    prepared statements (janus.repos.prepared): the EXECUTE whose plan
    reads the keyset index (the token check's does not)."""
    if is_postgres():
        plans = [plan(sql, params) for sql, params in sent if sql.startswith("EXECUTE ")]
        found = [shown for shown in plans if f"using {index} " in shown]
        assert len(found) == 1, "\n\n".join(plans)
        return found[0]
    pages = [(sql, params) for sql, params in sent if ") < (" in sql or ") > (" in sql]
    assert len(pages) == 1, sent  # the page query, with its row-value cursor condition
    return plan(*pages[0])


@pytest.mark.parametrize("path, who", CASES)
def test_a_following_page_reads_an_index_range(client, rows, superadmin, alice, sent,
                                               path, who):
    actor = superadmin if who == "admin" else alice
    first = call(client, "GET", path, actor, params={"limit": 1}).json
    assert first["next_cursor"], "the fixture rows make at least two pages"
    sent.clear()
    res = call(client, "GET", path, actor, params={"limit": 1, "cursor": first["next_cursor"]})
    assert res.status_int == 200 and res.json["items"], res.text

    index = LISTS[path][0 if who == "admin" else 1]
    shown = page_plan(sent, index)
    if is_postgres():
        # an index scan of that index, the cursor a condition of the scan, no sort
        assert f"Index Scan Backward using {index}" in shown, shown
        assert "Index Cond: " in shown and "ROW(" in shown, shown
        assert "Sort" not in shown, shown
    else:
        # SQLite: a SEARCH (a range), not a SCAN of every newer row; no sort
        line = next(line for line in shown.splitlines() if index in line)
        assert line.startswith("SEARCH") and "<" in line, shown
        assert "TEMP B-TREE" not in shown, shown


# -- sorted pages (?sort=, migrations/015_sort_indexes.py) ---------------------------
# route -> (table, owner column, {sort field: a filter the page also applies})
SORTED = {
    "/users": ("users", None, {"email": {"role": "user"}, "username": {}}),
    "/admins": ("admins", None, {"admin_level": {}, "created_at": {}}),
    "/images": ("images", "owner_id", {"filename": {"format": "png"}, "width": {},
                                       "file_size": {"min_width": 1}}),
    "/logs": ("logs", "user_id", {"action": {"level": "info"}, "module": {}}),
    "/security-events": ("security", "user_id", {"action": {}}),
    "/analytics": ("analytics", "user_id", {"research_topic": {}}),
}
SORTED_CASES = [
    pytest.param(path, direction + field, who, id=f"{path}-{direction}{field}-{who}")
    for path, (_table, owner, fields) in SORTED.items() for field in fields
    for direction in ("-", "") for who in ("admin", "owner", "admin+owner filter")
    if owner is not None or who == "admin"]


@pytest.fixture
def more_rows(rows, moderator, bob):
    """A second admin (the moderator) and a second plain user (bob)."""
    return rows


@pytest.mark.parametrize("path, sort, who", SORTED_CASES)
def test_a_following_sorted_page_reads_an_index_range(client, more_rows, superadmin, moderator,
                                                      alice, sent, path, sort, who):
    table, owner, fields = SORTED[path]
    field = sort.lstrip("-")
    params = {"limit": 1, "sort": sort, **fields[field]}
    if who == "admin+owner filter":
        params[owner] = alice.id
    actor = alice if who == "owner" else superadmin
    first = call(client, "GET", path, actor, params=params).json
    assert first["next_cursor"], "the fixture rows make at least two pages"
    sent.clear()
    res = call(client, "GET", path, actor, params={**params, "cursor": first["next_cursor"]})
    assert res.status_int == 200 and res.json["items"], res.text

    column = "owner_id" if owner == "owner_id" else owner
    index = "_".join((table, *((column,) if who != "admin" else ()), field, "id"))
    shown = page_plan(sent, index)
    if is_postgres():
        scan = "Index Scan Backward using" if sort.startswith("-") else "Index Scan using"
        assert f"{scan} {index}" in shown, shown
        assert "Index Cond: " in shown and "ROW(" in shown, shown
        assert "Sort" not in shown, shown
    else:
        line = next(line for line in shown.splitlines() if f"INDEX {index} " in line)
        assert line.startswith("SEARCH"), shown
        assert ("<" if sort.startswith("-") else ">") in line, shown
        assert "TEMP B-TREE" not in shown, shown
