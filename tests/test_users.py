"""Users, and through them the generic CRUD base every repository shares.

Values reach the repositories validated by the request Structs
(janus.schemas); the bad-input matrices live with the HTTP tests
(tests/api/test_errors.py, test_auth.py, test_users.py). What is tested here
is what the repository itself does: normalisation, constraint failures as
typed errors, lookups, pagination and what a delete takes along."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from janus.errors import Conflict, NotFound, ValidationError
from janus.models import Admin, Analytics, AuthToken, Image, Log, SecurityEvent, User, utcnow
from janus.passwords import looks_like_hash, verify_password
from janus.repos.base import encode_cursor
from janus.repos.logs import logs
from janus.repos.security import security_events
from janus.repos.users import users
from tests.helpers import T0, make_analytics, make_image, make_user, set_admin_level, spread, walk


def fresh(user) -> User:
    return User.get_by_id(user.id)


# -- create -------------------------------------------------------------------
def test_create_normalises_and_defaults(db):
    user = users.create(email="  Alice@Example.COM ", username=" alice ", password_hash="x")
    row = fresh(user)
    assert (row.email, row.username) == ("alice@example.com", "alice")
    assert (row.role, row.is_active, row.last_login_at) == ("user", True, None)
    assert isinstance(row.created_at, datetime) and row.created_at.tzinfo is None
    assert User.select().count() == 1


@pytest.mark.parametrize("email", ["alice@example.com", "ALICE@example.com", " Alice@Example.com "])
def test_duplicate_email_is_a_conflict_whatever_the_case(db, email):
    make_user("alice")
    with pytest.raises(Conflict):
        users.create(email=email, username="other", password_hash="x")
    assert User.select().count() == 1


def test_duplicate_username_is_a_conflict(db):
    make_user("alice")
    with pytest.raises(Conflict) as info:
        users.create(email="new@example.com", username="alice", password_hash="x")
    assert info.value.status == 409
    assert User.select().count() == 1


@pytest.mark.parametrize("field, value, path", [
    ("password_hash", None, "$"),   # NOT NULL
    ("role", "root", "$"),          # CHECK (role IN ('user', 'admin'))
])
def test_other_constraint_failures_are_validation_errors(db, field, value, path):
    fields = dict(email="bob@example.com", username="bob", password_hash="x")
    fields[field] = value
    with pytest.raises(ValidationError) as info:
        users.create(**fields)
    assert info.value.status == 422
    assert [d["path"] for d in info.value.details] == [path]
    assert User.select().count() == 0


# -- passwords and lookups ----------------------------------------------------
def test_register_hashes_the_password(db):
    user = users.register("Carol@Example.com", "carol", "correct horse")
    row = fresh(user)
    assert looks_like_hash(row.password_hash) and "correct horse" not in row.password_hash
    assert verify_password(row.password_hash, "correct horse")
    assert not verify_password(row.password_hash, "wrong horse")


def test_by_login(db):
    alice = make_user("alice")
    assert users.by_login(" ALICE@example.com").id == alice.id
    assert users.by_login("nobody@example.com") is None
    assert users.by_login("Alice@Example.com").id == alice.id
    assert users.by_login(" alice ").id == alice.id
    assert users.by_login("nobody") is None
    assert users.by_login("") is None
    assert users.by_login(None) is None


# -- read -----------------------------------------------------------------------
def test_get_by_id(db):
    user = make_user()
    assert users.get_by_id(user.id).email == user.email
    assert users.get_by_id(user.id, users.select().where(User.is_active == True)).id == user.id  # noqa: E712


@pytest.mark.parametrize("row_id", [10**9, 2**63, 10**30, -1, 0, "1", None, True, 1.0])
def test_get_by_id_missing_is_not_found(db, row_id):
    make_user()
    with pytest.raises(NotFound) as info:
        users.get_by_id(row_id)
    assert info.value.status == 404


def test_get_by_id_outside_the_given_query_is_not_found(db):
    user = make_user(is_active=False)
    with pytest.raises(NotFound):
        users.get_by_id(user.id, users.select().where(User.is_active == True))  # noqa: E712


# -- update -------------------------------------------------------------------
def test_update_writes_and_reports_changes(db):
    user = make_user("alice")
    before = fresh(user).updated_at
    changes = users.update_with_changes(user, {"email": "NEW@example.com", "is_active": False,
                                               "username": "alice"})
    assert changes == {"email": ["alice@example.com", "new@example.com"],
                       "is_active": [True, False]}
    row = fresh(user)
    assert (row.email, row.is_active) == ("new@example.com", False)
    assert row.updated_at >= before


def test_update_without_changes_writes_nothing(db):
    user = make_user("alice")
    User.update(updated_at=T0).where(User.id == user.id).execute()
    user = fresh(user)
    assert users.update_with_changes(user, {"username": "alice"}) == {}
    assert fresh(user).updated_at == T0


def test_update_by_id_returns_the_row(db):
    user = make_user()
    assert users.update(user.id, is_active=False).is_active is False
    assert fresh(user).is_active is False


@pytest.mark.parametrize("fields", [{"email": "BOB@example.com"}, {"username": "bob"}])
def test_update_into_a_duplicate_is_a_conflict(db, fields):
    alice, _bob = make_user("alice"), make_user("bob")
    with pytest.raises(Conflict):
        users.update(alice, **fields)
    assert (fresh(alice).email, fresh(alice).username) == ("alice@example.com", "alice")
    assert (alice.email, alice.username) == ("alice@example.com", "alice")


def test_update_missing_user_is_not_found(db):
    with pytest.raises(NotFound):
        users.update(424242, is_active=False)


# -- delete ---------------------------------------------------------------------
def test_delete(db):
    alice, bob = make_user(), make_user()
    users.delete(alice.id)
    assert not User.select().where(User.id == alice.id).exists()
    assert User.select().count() == 1
    with pytest.raises(NotFound):
        users.delete(alice.id)
    users.delete(bob)
    assert User.select().count() == 0


def test_delete_cascades_and_keeps_the_audit_trail(db):
    victim, other = make_user("victim"), make_user("other")
    set_admin_level(victim, "moderator")
    granted = set_admin_level(other, "superadmin")
    Admin.update(granted_by=victim).where(Admin.id == granted.id).execute()
    image = make_image(victim)
    other_image = make_image(other)
    AuthToken.create(user=victim, token_hash="a" * 64, expires_at=utcnow() + timedelta(hours=1))
    AuthToken.create(user=other, token_hash="b" * 64, expires_at=utcnow() + timedelta(hours=1))
    log = logs.record("user.updated", "users", user=victim)
    event = security_events.record("login_success", user=victim, account="victim@example.com")
    by_user_only = make_analytics(user=victim)
    about_own_image = make_analytics(user=victim, image=image)
    about_other_image = make_analytics(user=victim, image=other_image)

    User.delete().where(User.id == victim.id).execute()

    assert not Admin.select().where(Admin.user == victim.id).exists()
    assert Admin.get(Admin.user == other.id).granted_by_id is None  # SET NULL
    assert [i.id for i in Image.select()] == [other_image.id]
    assert [t.user_id for t in AuthToken.select()] == [other.id]
    assert Log.get_by_id(log.id).user_id is None
    event_row = SecurityEvent.get_by_id(event.id)
    assert (event_row.user_id, event_row.account) == (None, "victim@example.com")
    assert Analytics.get_by_id(by_user_only.id).user_id is None
    assert Analytics.get_by_id(about_other_image.id).user_id is None
    # Analytics about the user's own image go with the image (image FK cascades).
    assert not Analytics.select().where(Analytics.id == about_own_image.id).exists()
    assert fresh(other).role == "admin"


# -- keyset pagination (generic; other domains repeat it on their tables) ---------
@pytest.mark.parametrize("limit", [1, 3, 8, 50])
def test_page_walks_every_row_once_newest_first(db, limit):
    rows = [make_user() for _ in range(8)]
    expected = spread(rows)
    ids, pages = walk(users, limit=limit)
    assert ids == expected
    assert pages == max(1, -(-len(rows) // limit))


def test_page_on_a_narrowed_query(db):
    rows = [make_user(is_active=(n % 2 == 0)) for n in range(8)]
    expected = spread(rows)
    active = {r.id for r in rows if r.is_active}
    ids, _ = walk(users, users.select().where(User.is_active == True), limit=2)  # noqa: E712
    assert ids == [i for i in expected if i in active]


def test_page_of_nothing(db):
    page = users.page()
    assert (page.items, page.next_cursor) == ([], None)


def test_cursor_resumes_after_the_last_row(db):
    rows = [make_user() for _ in range(8)]
    expected = spread(rows)
    first = users.page(limit=4)
    assert [r.id for r in first.items] == expected[:4]
    second = users.page(limit=4, cursor=first.next_cursor)
    assert [r.id for r in second.items] == expected[4:]
    assert second.next_cursor is None
    # A row added after page one is older than nothing on page two: not shown.
    make_user()
    assert [r.id for r in users.page(limit=4, cursor=first.next_cursor).items] == expected[4:]


def _raw(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "garbage!!", "e30", _raw({"a": 1}), _raw(["2024-01-01T00:00:00"]),
    _raw(["not a time", 5]), _raw(["2024-01-01T00:00:00", "5"]),
    _raw(["2024-01-01T00:00:00", True]), _raw([None, 5]),
    _raw(["2024-01-01T00:00:00", 10**30]), _raw(["2024-01-01T00:00:00", -3]),
    # the current format: another sort, or a value or id the order cannot hold
    _raw([2, "email", "a@example.com", 5]), _raw([2, "-created_at", "not a time", 5]),
    _raw([2, "-created_at", 5, 5]), _raw([2, "-created_at", "2024-01-01T00:00:00", 0]),
    _raw([3, "-created_at", "2024-01-01T00:00:00", 5]), _raw([2, "-created_at", None, 5]),
])
def test_invalid_cursor_is_a_validation_error(db, cursor):
    make_user()
    with pytest.raises(ValidationError) as info:
        users.page(limit=5, cursor=cursor)
    assert info.value.details[0]["path"] == "$.cursor"


def test_cursor_encoding_round_trips(db):
    rows = [make_user() for _ in range(3)]
    spread(rows, [0, 0, 0])
    newest = max(r.id for r in rows)
    page = users.page(limit=10, cursor=encode_cursor("-created_at", T0, newest))
    assert sorted(r.id for r in page.items) == sorted(r.id for r in rows if r.id != newest)


def test_since_is_half_open(db):
    rows = [make_user() for _ in range(3)]
    spread(rows, [0, 1, 2])
    window = users.since(users.select(), T0 + timedelta(seconds=1), T0 + timedelta(seconds=2))
    assert [r.id for r in window] == [rows[1].id]
    aware = datetime(2024, 3, 1, 14, 0, 1, tzinfo=timezone(timedelta(hours=2)))
    assert [r.id for r in users.since(users.select(), aware).order_by(User.id)] == \
        [rows[1].id, rows[2].id]


# -- per-user counts ----------------------------------------------------------
def test_action_counts(db):
    alice, bob, idle = make_user(), make_user(), make_user()
    for action, user in [("image.created", alice), ("image.created", alice),
                         ("image.deleted", alice), ("image.created", bob),
                         ("image.created", None)]:
        logs.record(action, "images", user=user)
    assert users.action_counts() == {
        alice.id: {"image.created": 2, "image.deleted": 1},
        bob.id: {"image.created": 1},
    }
    assert users.action_counts(alice.id) == {"image.created": 2, "image.deleted": 1}
    assert users.action_counts(idle.id) == {}


def test_security_action_counts(db):
    alice, bob = make_user(), make_user()
    for action, user in [("login_failed", alice), ("login_failed", alice),
                         ("login_success", alice), ("login_failed", bob)]:
        security_events.record(action, user=user)
    assert users.security_action_counts(alice.id) == {"login_failed": 2, "login_success": 1}
    assert users.security_action_counts(bob.id) == {"login_failed": 1}
