"""The audit trail: record() and the lookups over it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from janus.db import database
from janus.errors import ValidationError
from janus.models import LOG_LEVELS, Log
from janus.repos.base import MAX_LIMIT
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
    assert logs.count() == 1


def test_record_defaults(db):
    row = Log.get_by_id(logs.record("app.started", "app").id)
    assert (row.user_id, row.level, row.log_metadata) == (None, "info", {})


def test_record_takes_a_user_id(db):
    user = make_user()
    assert Log.get_by_id(logs.record("x", "m", user=user.id).id).user_id == user.id


@pytest.mark.parametrize("kwargs, path", [
    ({"level": "fatal"}, "$.level"),
    ({"level": "INFO"}, "$.level"),
    ({"level": None}, "$.level"),
    ({"action": ""}, "$.action"),
    ({"action": "a" * 65}, "$.action"),
    ({"action": None}, "$.action"),
    ({"module": "  "}, "$.module"),
    ({"module": 3}, "$.module"),
    ({"metadata": [1, 2]}, "$.log_metadata"),
    ({"metadata": "text"}, "$.log_metadata"),
    ({"user": "1"}, "$.user"),
])
def test_record_rejects_bad_input(db, kwargs, path):
    args = {"action": "image.created", "module": "images", **kwargs}
    with pytest.raises(ValidationError) as info:
        logs.record(**args)
    assert path in [d["path"] for d in info.value.details]
    assert logs.count() == 0


def test_record_for_a_missing_user_is_a_validation_error(db):
    with pytest.raises(ValidationError):
        logs.record("x", "m", user=999_999)
    assert logs.count() == 0


def test_record_rolls_back_with_the_change(db):
    # The audit row shares the caller's transaction: no change, no record.
    with pytest.raises(RuntimeError), database.atomic():
        logs.record("image.deleted", "images")
        raise RuntimeError("the change failed")
    assert logs.count() == 0


def test_generic_create_and_update(db):
    row = logs.create(action="a", module="m")
    logs.update(row, level="error", log_metadata=None)
    stored = Log.get_by_id(row.id)
    assert (stored.level, stored.log_metadata) == ("error", {})
    with pytest.raises(ValidationError):
        logs.update(row, timestamp=T0)  # not writable: the trail is not rewritten
    with pytest.raises(ValidationError):
        logs.update(row, level="loud")
    assert Log.get_by_id(row.id).level == "error"


# -- recent -----------------------------------------------------------------------
@pytest.fixture
def eight(db):
    rows = [logs.record(f"action{n % 3}", f"module{n % 2}", level=LOG_LEVELS[n % 5])
            for n in range(8)]
    return rows, spread(rows)


def test_recent_is_newest_first_with_ties_by_id(eight):
    _rows, expected = eight
    assert ids(logs.recent()) == expected
    assert ids(logs.recent(limit=3)) == expected[:3]


def test_recent_since(eight):
    rows, expected = eight
    since = T0 + timedelta(seconds=1)
    newer = {r.id for r in Log.select().where(Log.timestamp >= since)}
    assert ids(logs.recent(since=since)) == [i for i in expected if i in newer]
    assert ids(logs.recent(limit=1, since=since)) == expected[:1]


def test_recent_without_bounds_is_capped(db):
    for _ in range(51):
        logs.record("a", "m")
    assert len(ids(logs.recent())) == 50


@pytest.mark.parametrize("kwargs", [{"limit": 0}, {"limit": MAX_LIMIT + 1}, {"limit": "5"},
                                    {"since": "yesterday"}])
def test_recent_rejects_bad_bounds(db, kwargs):
    with pytest.raises(ValidationError):
        logs.recent(**kwargs)


# -- lookups ----------------------------------------------------------------------
def test_by_user(db):
    alice, bob = make_user(), make_user()
    a1, a2 = logs.record("a", "m", user=alice), logs.record("b", "m", user=alice)
    b1, nobody = logs.record("a", "m", user=bob), logs.record("a", "m")
    assert set(ids(logs.by_user(alice))) == {a1.id, a2.id}
    assert set(ids(logs.by_user(bob.id))) == {b1.id}
    assert set(ids(logs.by_user(None))) == {nobody.id}
    with pytest.raises(ValidationError):
        logs.by_user("alice")


def test_by_module_action_and_level(db):
    a = logs.record("image.created", "images", level="info")
    b = logs.record("image.deleted", "images", level="error")
    c = logs.record("user.created", "users", level="critical")
    d = logs.record("user.created", "users", level="debug")
    assert set(ids(logs.by_module("images"))) == {a.id, b.id}
    assert set(ids(logs.by_action("user.created"))) == {c.id, d.id}
    assert set(ids(logs.by_level("error"))) == {b.id}
    assert set(ids(logs.by_level("error", at_least=True))) == {b.id, c.id}
    assert set(ids(logs.by_level("debug", at_least=True))) == {a.id, b.id, c.id, d.id}
    assert set(ids(logs.by_level("debug", logs.by_action("user.created")))) == {d.id}
    assert ids(logs.by_module("nothing")) == []


@pytest.mark.parametrize("call", [
    lambda: logs.by_level("loud"), lambda: logs.by_level(None), lambda: logs.by_module(""),
    lambda: logs.by_action(" "), lambda: logs.by_metadata("", 1),
    lambda: logs.by_metadata("changes", {"a": 1}),
])
def test_lookups_validate_their_arguments(db, call):
    with pytest.raises(ValidationError):
        call()


@pytest.mark.parametrize("key, value, expected", [
    ("object_type", "image", {"first", "second"}),
    ("object_id", 7, {"first"}),
    ("object_id", "7", set()),
    ("changes.width", 640, {"second"}),
    ("changes.email", "new@example.com", {"third"}),
    ("bulk", True, {"third"}),
])
def test_by_metadata(db, key, value, expected):
    rows = {
        "first": logs.record("image.created", "images",
                             metadata={"object_type": "image", "object_id": 7}),
        "second": logs.record("image.updated", "images",
                              metadata={"object_type": "image", "object_id": 8,
                                        "changes": {"width": 640}}),
        "third": logs.record("user.updated", "users",
                             metadata={"changes": {"email": "new@example.com"}, "bulk": True}),
        "none": logs.record("app.started", "app"),
    }
    names = {row.id: name for name, row in rows.items()}
    assert {names[i] for i in ids(logs.by_metadata(key, value))} == expected


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_page(db, limit):
    user = make_user()
    rows = [logs.record("a", "m", user=user if n % 2 else None) for n in range(8)]
    expected = spread(rows)
    assert walk(logs, limit=limit)[0] == expected
    mine = {r.id for r in rows if r.user_id == user.id}
    assert walk(logs, logs.by_user(user), limit=limit)[0] == [i for i in expected if i in mine]


def test_page_orders_by_timestamp_not_id(db):
    old, new = logs.record("a", "m"), logs.record("a", "m")
    set_time(old, T0 + timedelta(hours=1))
    set_time(new, T0)
    assert ids(logs.page().items) == [old.id, new.id]
