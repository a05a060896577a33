"""The audit trail: record() and the lookups over it. What a client may
post (action, module, level, metadata) is checked by LogCreateIn; see
tests/api/test_logs.py::test_post_validation."""
from __future__ import annotations

from datetime import timedelta

import pytest

from janus.db import database
from janus.errors import ValidationError
from janus.models import LOG_LEVELS, Log
from janus.repos.base import DEFAULT_LIMIT
from janus.repos.logs import logs
from tests.helpers import T0, make_user, set_time, spread, walk


def ids(query) -> list[int]:
    return [row.id for row in query]


def test_record_writes_one_row(db):
    user = make_user()
    row = logs.record("image.created", "images", user=user, level="warning",
                      metadata={"object_id": 7, "changes": {"width": [1, 2]}})
    stored = Log.get_by_id(row.id)
    assert (stored.action, stored.module, stored.level, stored.user_id) == \
        ("image.created", "images", "warning", user.id)
    assert stored.log_metadata == {"object_id": 7, "changes": {"width": [1, 2]}}
    assert stored.timestamp is not None
    assert Log.select().count() == 1


def test_record_defaults(db):
    row = Log.get_by_id(logs.record("app.started", "app").id)
    assert (row.user_id, row.level, row.log_metadata) == (None, "info", {})


def test_record_takes_a_user_id(db):
    user = make_user()
    assert Log.get_by_id(logs.record("x", "m", user=user.id).id).user_id == user.id


def test_record_for_a_missing_user_is_a_validation_error(db):
    with pytest.raises(ValidationError):
        logs.record("x", "m", user=999_999)
    assert Log.select().count() == 0


def test_record_rolls_back_with_the_change(db):
    # The audit row shares the caller's transaction: no change, no record.
    with pytest.raises(RuntimeError), database.atomic():
        logs.record("image.deleted", "images")
        raise RuntimeError("the change failed")
    assert Log.select().count() == 0


def test_generic_create_and_update(db):
    row = logs.create(action="a", module="m")
    stored = Log.get_by_id(row.id)
    assert (stored.level, stored.log_metadata, stored.user_id) == ("info", {}, None)
    logs.update(row, level="error")
    assert Log.get_by_id(row.id).level == "error"


# -- newest first, since -------------------------------------------------------------
@pytest.fixture
def eight(db):
    rows = [logs.record(f"action{n % 3}", f"module{n % 2}", level=LOG_LEVELS[n % 5])
            for n in range(8)]
    return rows, spread(rows)


def test_page_is_newest_first_with_ties_by_id(eight):
    _rows, expected = eight
    assert ids(logs.page().items) == expected
    assert ids(logs.page(limit=3).items) == expected[:3]


def test_since(eight):
    rows, expected = eight
    since = T0 + timedelta(seconds=1)
    newer = {r.id for r in Log.select().where(Log.timestamp >= since)}
    assert ids(logs.page(logs.since(logs.select(), since)).items) == \
        [i for i in expected if i in newer]
    assert ids(logs.page(logs.since(logs.select(), since), limit=1).items) == expected[:1]
    until = T0 + timedelta(seconds=1)
    older = {r.id for r in Log.select().where(Log.timestamp < until)}
    assert ids(logs.page(logs.since(logs.select(), until=until)).items) == \
        [i for i in expected if i in older]


def test_a_page_without_a_limit_is_capped(db):
    for _ in range(DEFAULT_LIMIT + 1):
        logs.record("a", "m")
    page = logs.page()
    assert len(page.items) == DEFAULT_LIMIT
    assert page.next_cursor is not None


# -- lookups ----------------------------------------------------------------------
def test_by_user(db):
    alice, bob = make_user(), make_user()
    a1, a2 = logs.record("a", "m", user=alice), logs.record("b", "m", user=alice)
    b1, nobody = logs.record("a", "m", user=bob), logs.record("a", "m")
    everything = logs.select()
    assert set(ids(logs.by_user(alice.id, everything))) == {a1.id, a2.id}
    assert set(ids(logs.by_user(bob.id, everything))) == {b1.id}
    assert set(ids(logs.by_user(None, everything))) == {nobody.id}
    assert ids(logs.by_user(bob.id, logs.by_user(alice.id, everything))) == []


def test_by_module_action_and_level(db):
    a = logs.record("image.created", "images", level="info")
    b = logs.record("image.deleted", "images", level="error")
    c = logs.record("user.created", "users", level="critical")
    d = logs.record("user.created", "users", level="debug")
    everything = logs.select()
    assert set(ids(logs.by_module("images", everything))) == {a.id, b.id}
    assert set(ids(logs.by_action("user.created", everything))) == {c.id, d.id}
    assert set(ids(logs.by_level("error", everything))) == {b.id}
    assert set(ids(logs.by_level("debug", logs.by_action("user.created", everything)))) == {d.id}
    assert set(ids(logs.by_action("image.created", logs.by_module("images", everything)))) == \
        {a.id}
    assert ids(logs.by_module("nothing", everything)) == []


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_page(db, limit):
    user = make_user()
    rows = [logs.record("a", "m", user=user if n % 2 else None) for n in range(8)]
    expected = spread(rows)
    assert walk(logs, limit=limit)[0] == expected
    mine = {r.id for r in rows if r.user_id == user.id}
    assert walk(logs, logs.by_user(user.id, logs.select()), limit=limit)[0] == \
        [i for i in expected if i in mine]


def test_page_orders_by_timestamp_not_id(db):
    old, new = logs.record("a", "m"), logs.record("a", "m")
    set_time(old, T0 + timedelta(hours=1))
    set_time(new, T0)
    assert ids(logs.page().items) == [old.id, new.id]
