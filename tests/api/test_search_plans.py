"""``?q=`` of 3 characters or more is served by the text search's index on
every list, on both backends (migration 016), as owner and as admin.

As in test_keyset_plans.py: the page query the request really sends is
explained by the database itself, and the plan text is asserted, never a
timing. SQLite: the FTS5 table is searched with MATCH (the virtual table's
``M`` index), not scanned. PostgreSQL would scan tables this small whatever
their indexes, so its plan is asked with sequential and plain index scans
off: what is left shows whether the trigram indexes can serve the search at
all (one bitmap index scan per searched column). For an owner's rows it
may rather read the owner's keyset index (which it estimates as fewer rows
here) and check the text on those: an index either way, never a scan.
"""
from __future__ import annotations

import re

import pytest

from janus.db import database, is_postgres
from janus.lists.images import IMAGES
from janus.lists.records import ANALYTICS, LOGS, SECURITY_EVENTS
from janus.lists.users import ADMINS, USERS
from tests.api import test_keyset_plans as keyset_plans
from tests.api.helpers import call

# The fixtures of test_keyset_plans.py: the statements peewee sends, and two
# rows of every list that alice owns.
sent, rows = keyset_plans.sent, keyset_plans.rows

LISTS = {"/users": USERS, "/admins": ADMINS, "/images": IMAGES, "/logs": LOGS,
         "/analytics": ANALYTICS, "/security-events": SECURITY_EVENTS}
# A plain user's GET /users is their own row, read by its id: no search index helps.
CASES = [(path, "admin") for path in LISTS] + [
    (path, "owner") for path in LISTS if path not in ("/admins", "/users")]
FTS_MATCH = re.compile(r"SCAN \w+ VIRTUAL TABLE INDEX \d+:M")


def explain(sql: str, params) -> str:
    if is_postgres():
        with database.atomic():
            database.execute_sql("SET LOCAL enable_seqscan = off")
            database.execute_sql("SET LOCAL enable_indexscan = off")
            lines = database.execute_sql("EXPLAIN " + sql, params).fetchall()
        return "\n".join(line[0] for line in lines)
    lines = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return "\n".join(line[-1] for line in lines)


def trigram_indexes(path: str) -> list[str]:
    search = LISTS[path].search
    table = search.model._meta.table_name
    return [f"{table}_{column.column_name}_trgm" for column in search.columns]


def search_plan(sent: list, path: str) -> str:
    """The plan of the request's page query, the one ordered statement that
    holds the search's LIKE (PostgreSQL), MATCH or LIKE (SQLite; a text's
    bounded count of matches, janus.lists.probe, holds MATCH too). On PostgreSQL
    it is sent plain, never as a prepared statement: after 5 runs one would
    reuse a generic plan, blind to the pattern (and to the index)."""
    pages = [(sql, params) for sql, params in sent
             if (" LIKE " in sql or " MATCH " in sql) and " ORDER BY " in sql]
    assert len(pages) == 1 and not pages[0][0].startswith("EXECUTE "), sent
    return explain(*pages[0])


def _get(client, path, actor, q):
    res = call(client, "GET", path, actor, params={"q": q, "limit": 1})
    assert res.status_int == 200, res.text


@pytest.mark.parametrize("path, who", CASES)
def test_q_of_three_characters_reads_the_search_index(client, rows, superadmin, alice, sent,
                                                      path, who):
    actor = superadmin if who == "admin" else alice
    for _ in range(6):  # past the 5 runs after which a prepared statement may go generic
        _get(client, path, actor, "ünï")
    sent.clear()
    _get(client, path, actor, "ünï")
    shown = search_plan(sent, path)
    if is_postgres() and who == "owner":
        owners = re.findall(r"Bitmap Index Scan on (\w+)", shown)
        assert owners and all(i.endswith("_trgm") or "_user_id_" in i or "_owner_id_" in i
                              for i in owners), shown
        assert "Seq Scan" not in shown, shown
    elif is_postgres():
        for index in trigram_indexes(path):
            assert f"Bitmap Index Scan on {index}" in shown, shown
        assert "Seq Scan" not in shown, shown
    else:
        assert FTS_MATCH.search(shown), shown


@pytest.mark.parametrize("path", sorted(LISTS))
def test_a_shorter_q_scans_on_sqlite(client, rows, superadmin, sent, path):
    """Fewer than 3 characters: no trigram to look up, so SQLite scans
    (through janus_lower) and never asks the FTS5 table."""
    if is_postgres():
        pytest.skip("SQLite only: PostgreSQL runs every q through the same condition")
    sent.clear()
    _get(client, path, superadmin, "ün")
    shown = search_plan(sent, path)
    assert "VIRTUAL TABLE" not in shown, shown
