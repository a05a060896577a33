"""The console's reads of the audit trail and the security events
(janus.services.history): filtered timelines in keyset pages with their
users in the same query, and each audit row's change as a diff."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playhouse.test_utils import count_queries

from janus.access import Actor
from janus.audit import record_change
from janus.db import database
from janus.lists.records import SecurityEventQuery, TimelineQuery
from janus.models import Log, User
from janus.repos.logs import logs
from janus.repos.security import security_events
from janus.schemas.records import LogCreateIn
from janus.schemas.users import UserPatchIn
from janus.services import accounts, admins, history, records
from tests.helpers import T0, make_user, set_admin_level, spread


def admin_actor(level="superadmin") -> Actor:
    user = make_user()
    set_admin_level(user, level)
    return Actor(User.get_by_id(user.id), level)


def audit(actor_user, action, object_type="user", object_id=1, changes=None):
    with database.atomic():
        return record_change(actor_user, action, object_type, object_id, changes)


def timeline_ids(actor, **filters) -> list[int]:
    return [row.id for row in history.timeline(actor, TimelineQuery(**filters)).items]


@pytest.fixture
def trail(db):
    """Audit rows by two actors about users and images, at known times."""
    root = admin_actor()
    alice = make_user("alice")
    rows = {
        "root_user": audit(root.user, "user.updated", "user", alice.id,
                           {"is_active": [True, False]}),
        "root_image": audit(root.user, "image.deleted", "image", 7, {"filename": "a.png"}),
        "alice_image": audit(alice, "image.created", "image", 8, {"filename": "b.png"}),
        "alice_image7": audit(alice, "image.updated", "image", 7, {"filename": ["a", "b"]}),
        "system": audit(None, "user.unlocked", "user", alice.id),
    }
    for offset, row in enumerate(rows.values()):
        Log.update(timestamp=T0 + timedelta(minutes=offset)).where(Log.id == row.id).execute()
    return root, alice, {name: row.id for name, row in rows.items()}


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, ["system", "alice_image7", "alice_image", "root_image", "root_user"]),
    ({"user_id": "root"}, ["root_image", "root_user"]),
    ({"user_id": "alice"}, ["alice_image7", "alice_image"]),
    ({"action": "image.deleted"}, ["root_image"]),
    ({"module": "image"}, ["alice_image7", "alice_image", "root_image"]),
    ({"object_type": "image"}, ["alice_image7", "alice_image", "root_image"]),
    ({"object_type": "image", "object_id": 7}, ["alice_image7", "root_image"]),
    ({"object_type": "user", "object_id": "alice"}, ["system", "root_user"]),
    ({"object_id": 8}, ["alice_image"]),
    ({"since": T0 + timedelta(minutes=1), "until": T0 + timedelta(minutes=3)},
     ["alice_image", "root_image"]),
    ({"module": "image", "user_id": "alice", "object_id": 7}, ["alice_image7"]),
    ({"action": "no.such"}, []),
])
def test_the_timeline_filters_newest_first(trail, filters, expected):
    root, alice, ids = trail
    named = {"root": root.id, "alice": alice.id}
    filters = {key: named.get(value, value) if key in ("user_id", "object_id") else value
               for key, value in filters.items()}
    assert timeline_ids(root, **filters) == [ids[name] for name in expected]


def test_a_plain_user_sees_only_their_own_rows(trail):
    _root, alice, ids = trail
    assert timeline_ids(Actor(alice), limit=50) == [ids["alice_image7"], ids["alice_image"]]


def test_keyset_pages_walk_every_row_once_with_ties(db):
    root = admin_actor()
    rows = [audit(root.user, "user.updated", "user", n) for n in range(8)]
    expected = spread(rows)
    seen, cursor = [], None
    while True:
        page = history.timeline(root, TimelineQuery(limit=3, cursor=cursor))
        seen += [row.id for row in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected


@pytest.mark.parametrize("limit", [1, 50])
def test_a_page_with_its_users_is_one_query_whatever_its_size(trail, limit):
    root, alice, _ids = trail
    with count_queries() as counter:
        page = history.timeline(root, TimelineQuery(limit=limit))
        names = [getattr(history.user_of(row), "username", None) for row in page.items]
    assert counter.count == 1
    assert names[0] is None  # the system actor's row
    assert set(names) <= {None, alice.username, root.user.username}


def test_a_deleted_users_rows_have_no_user(trail):
    root, alice, ids = trail
    User.delete().where(User.id == alice.id).execute()
    rows = {row.id: row for row in history.timeline(root, TimelineQuery()).items}
    assert history.user_of(rows[ids["alice_image"]]) is None
    assert history.user_of(rows[ids["root_user"]]).id == root.id


# -- the diff -------------------------------------------------------------------
def change(field, before=..., after=...):
    return history.FieldChange(field, None if before is ... else before,
                               None if after is ... else after,
                               before is not ..., after is not ...)


def test_a_deactivation_diffs_before_and_after(db):
    root = admin_actor()
    alice = make_user("alice")
    accounts.update_user(root, alice.id, UserPatchIn(is_active=False, username="alice2"))
    [row] = logs.by_action("user.updated", logs.select())
    assert sorted(history.diff(row), key=lambda c: c.field) == [
        change("is_active", True, False), change("username", "alice", "alice2")]
    assert history.subject(row) == ("user", alice.id)


def test_a_grant_diffs_the_level_and_names_the_user(db):
    root = admin_actor()
    bob = make_user("bob")
    admins.grant(root, bob, "moderator")
    [row] = logs.by_action("admin.granted", logs.select())
    assert history.diff(row) == [change("user_id", after=bob.id),
                                 change("admin_level", None, "moderator")]


@pytest.mark.parametrize(("action", "changes", "expected"), [
    ("image.created", {"filename": "x.png"}, [change("filename", after="x.png")]),
    ("image.deleted", {"filename": "x.png"}, [change("filename", before="x.png")]),
    ("user.password_changed", {"password": "changed"},
     [change("password", after="[redacted]")]),
    ("image.updated", {"filename": ["a.png", "b.png"], "tags": ["one"]},
     [change("filename", "a.png", "b.png"), change("tags", after=["one"])]),
    ("user.unlocked", None, []),
])
def test_the_diff_by_verb(db, action, changes, expected):
    row = audit(None, action, changes=changes)
    assert history.diff(row) == expected


@pytest.mark.parametrize("metadata", [
    {}, {"changes": "<script>"}, {"changes": ["a", "b"]}, {"object_id": True},
    {"object_type": 3, "object_id": 1}, {"object_type": "user", "object_id": "1"},
])
def test_a_clients_own_event_has_no_diff_and_no_subject(db, metadata):
    actor = Actor(make_user())
    row = records.append_log(actor, LogCreateIn(action="x.updated", module="x",
                                                log_metadata=metadata))
    assert history.diff(row) == []
    assert history.subject(row) is None


def test_details_keep_what_is_not_the_change(db):
    row = audit(None, "user.unlocked", changes={"a": 1})
    row.log_metadata.update({"via": "cli", "os_user": "ops"})
    assert history.details(row) == {"via": "cli", "os_user": "ops"}


# -- security events ------------------------------------------------------------
@pytest.fixture
def events(db):
    alice = make_user("alice")
    rows = {
        "fail": security_events.record("login_failed", user=alice, account=alice.email,
                                       ip="192.0.2.1", timestamp=T0),
        "ok": security_events.record("login_success", user=alice, account=alice.email,
                                     ip="192.0.2.2", timestamp=T0 + timedelta(minutes=1)),
        "unknown": security_events.record("login_failed", account="Nobody",
                                          ip="2001:db8::1", timestamp=T0 + timedelta(minutes=2)),
    }
    return alice, {name: row.id for name, row in rows.items()}


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, ["unknown", "ok", "fail"]),
    ({"action": "login_failed"}, ["unknown", "fail"]),
    ({"user_id": "alice"}, ["ok", "fail"]),
    ({"account": " NOBODY "}, ["unknown"]),
    ({"ip": "2001:DB8:0::1"}, ["unknown"]),
    ({"since": T0 + timedelta(minutes=1)}, ["unknown", "ok"]),
    ({"until": T0 + timedelta(minutes=1)}, ["fail"]),
])
def test_security_events_filter_newest_first(events, filters, expected):
    alice, ids = events
    # a new dict: the parameters are shared by both backends' runs
    filters = {key: alice.id if value == "alice" else value for key, value in filters.items()}
    page = history.security_timeline(admin_actor("moderator"), SecurityEventQuery(**filters))
    assert [row.id for row in page.items] == [ids[name] for name in expected]


@pytest.mark.parametrize("limit", [1, 50])
def test_a_security_page_with_its_users_is_one_query(events, limit):
    alice, _ids = events
    moderator = admin_actor("moderator")
    with count_queries() as counter:
        page = history.security_timeline(moderator, SecurityEventQuery(limit=limit))
        names = [getattr(history.user_of(row), "username", None) for row in page.items]
    assert counter.count == 1
    assert names == [None, "alice", "alice"][:limit]
