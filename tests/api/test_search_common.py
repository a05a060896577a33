"""``?q=`` with a text most rows hold, over more pages than one, on both
backends: the same rows, order and cursors as the whole search. On SQLite
such a page in the list's time order comes from a window of the list
(janus.lists.probe); these tests compare it with the whole search and with
an oracle built here, with times out of the ids' order (ties too)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from janus.db import is_postgres
from janus.lists import probe
from janus.models import Log
from janus.repos.logs import logs
from tests.api import test_keyset_plans as keyset_plans
from tests.api.helpers import call, walk

sent = keyset_plans.sent  # the statements peewee sends
# 2 rows of 3 hold the text: more than probe.RARE x 3 (limit=2 fetches 3 rows).
ROWS = 180
TEXT = "CoMún"


@pytest.fixture
def common(actors):
    rng = random.Random(17)
    start = datetime(2026, 1, 1)
    for i in range(ROWS):
        when = start + timedelta(minutes=rng.randrange(ROWS // 3))
        logs.record("común.hit" if i % 3 else "other.miss", "m", user=actors["alice"].id,
                    level="error" if i % 4 else "info", timestamp=when)
    assert sum(TEXT.lower() in row.action for row in Log.select()) > probe.RARE * 3


def expected(sort: str, keep=lambda row: True) -> list[int]:
    """Ids of the logs holding TEXT (case-insensitively) in ``sort``'s order."""
    hits = [row for row in Log.select()
            if (TEXT.lower() in row.action.lower() or TEXT.lower() in row.module.lower())
            and keep(row)]
    column = sort.lstrip("-")
    hits.sort(key=lambda row: (getattr(row, column), row.id), reverse=sort.startswith("-"))
    return [row.id for row in hits]


def pages(client, actor, **params) -> list[dict]:
    """Every page's body, following next_cursor."""
    found, cursor = [], None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        res = call(client, "GET", "/logs", actor, params=query)
        assert res.status_int == 200, res.text
        found.append(res.json)
        cursor = res.json["next_cursor"]
        if cursor is None:
            return found


@pytest.mark.parametrize("sort", ["-timestamp", "timestamp", "action", "-action"])
@pytest.mark.parametrize("limit", [2, 3])
def test_a_common_text_pages_as_the_oracle_says(client, actors, common, sort, limit):
    admin = actors["superadmin"]
    items, count = walk(client, "/logs", admin, limit=limit, q=TEXT, sort=sort)
    want = expected(sort)
    assert [item["id"] for item in items] == want
    assert len(want) > probe.RARE * 3 and count == -(-len(want) // limit)
    error = lambda row: row.level == "error"  # noqa: E731
    items, _ = walk(client, "/logs", admin, limit=limit, q=TEXT, sort=sort, level="error")
    assert [item["id"] for item in items] == expected(sort, error)


@pytest.mark.parametrize("sort", ["-timestamp", "timestamp", "action"])
def test_a_common_text_gives_the_whole_searchs_pages_and_cursors(client, actors, common,
                                                                 monkeypatch, sort):
    admin = actors["superadmin"]
    probed = pages(client, admin, limit=2, q=TEXT, sort=sort)
    monkeypatch.setattr(probe, "RARE", 10**9)  # every text is rare: the whole search
    whole = pages(client, admin, limit=2, q=TEXT, sort=sort)
    assert probed == whole and len(whole) > 2


def test_on_sqlite_a_window_answers_a_common_text_in_time_order(client, actors, common, sent):
    """The first page of a text most rows hold comes from the probe's window
    (newest first); under another sort it is the whole search."""
    if is_postgres():
        pytest.skip("SQLite only: PostgreSQL plans each search for its text")
    admin = actors["superadmin"]
    sent.clear()
    assert call(client, "GET", "/logs", admin, params={"q": TEXT, "limit": 2}).status_int == 200
    assert any("probe_window" in sql for sql, _ in sent), sent
    sent.clear()
    res = call(client, "GET", "/logs", admin, params={"q": TEXT, "limit": 2, "sort": "action"})
    assert res.status_int == 200
    assert not any("probe_window" in sql for sql, _ in sent), sent
