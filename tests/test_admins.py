"""Admins: grant/revoke keep User.role and the Admin row in step; the last
superadmin is protected. Every check reads the database afresh."""
from __future__ import annotations

import pytest

from janus.errors import Conflict, NotFound, ValidationError
from janus.models import Admin, User
from janus.repos.admins import admins
from janus.repos.users import users
from tests.helpers import make_user, spread, walk


def state(user) -> tuple[str, str | None]:
    """(role, admin_level) as stored now."""
    row = Admin.get_or_none(Admin.user == user.id)
    return User.get_by_id(user.id).role, (row.admin_level if row else None)


def test_grant_makes_an_admin(db):
    boss, user = make_user(), make_user()
    row = admins.grant(user, granted_by=boss)
    assert state(user) == ("admin", "moderator")
    assert user.role == "admin"  # the caller's object follows too
    assert Admin.get_by_id(row.id).granted_by_id == boss.id
    assert state(boss) == ("user", None)


def test_granting_twice_changes_the_level_in_place(db):
    boss, user = make_user(), make_user()
    first = admins.grant(user, "moderator")
    second = admins.grant(user, "superadmin", granted_by=boss)
    assert second.id == first.id
    assert state(user) == ("admin", "superadmin")
    assert Admin.select().where(Admin.user == user.id).count() == 1
    assert Admin.get_by_id(first.id).granted_by_id == boss.id


def test_granting_the_same_level_again_is_a_no_op(db):
    user = make_user()
    first = admins.grant(user, "moderator")
    assert admins.grant(user, "moderator").id == first.id
    assert state(user) == ("admin", "moderator") and admins.count() == 1


@pytest.mark.parametrize("level", ["root", "", None, "Moderator", 1])
def test_grant_rejects_unknown_levels(db, level):
    user = make_user()
    with pytest.raises(ValidationError) as info:
        admins.grant(user, level)
    assert info.value.details[0]["path"] == "$.admin_level"
    assert state(user) == ("user", None)


def test_grant_repairs_a_stale_role(db):
    # A row written behind the repository's back: grant() still sets the role.
    user = make_user()
    Admin.create(user=user, admin_level="moderator")
    admins.grant(user, "moderator")
    assert state(user) == ("admin", "moderator")


def test_revoke(db):
    user = make_user()
    admins.grant(user, "moderator")
    admins.revoke(user)
    assert state(user) == ("user", None)
    assert user.role == "user"
    assert users.exists(id=user.id)  # the account stays


def test_revoking_a_non_admin_is_not_found(db):
    user = make_user()
    with pytest.raises(NotFound):
        admins.revoke(user)
    assert state(user) == ("user", None)


def test_a_moderator_can_be_revoked_without_any_superadmin(db):
    user = make_user()
    admins.grant(user, "moderator")
    admins.revoke(user)
    assert state(user) == ("user", None)


@pytest.mark.parametrize("level, asked, expected", [
    (None, "moderator", False),
    (None, "superadmin", False),
    ("moderator", "moderator", True),
    ("moderator", "superadmin", False),
    ("superadmin", "moderator", True),
    ("superadmin", "superadmin", True),
])
def test_level_of_and_has_level(db, level, asked, expected):
    user = make_user()
    if level:
        admins.grant(user, level)
    assert admins.level_of(user) == level
    assert admins.level_of(user.id) == level
    assert admins.has_level(user, asked) is expected


def test_has_level_rejects_unknown_levels(db):
    user = make_user()
    admins.grant(user, "superadmin")
    with pytest.raises(ValidationError):
        admins.has_level(user, "god")


def test_for_user_joins_the_user(db):
    user = make_user("alice")
    admins.grant(user, "moderator")
    row = admins.for_user(user.id)
    assert row.user.username == "alice"
    assert admins.for_user(make_user()) is None


# -- the last superadmin --------------------------------------------------------
LAST_SUPERADMIN_ACTIONS = {
    "revoke": lambda user: admins.revoke(user),
    "demote": lambda user: admins.grant(user, "moderator"),
    "delete user": lambda user: users.delete(user),
    "delete admin row": lambda user: admins.delete(admins.for_user(user).id),
}


@pytest.mark.parametrize("action", sorted(LAST_SUPERADMIN_ACTIONS))
def test_the_last_superadmin_is_protected(db, action):
    boss = make_user()
    admins.grant(boss, "superadmin")
    admins.grant(make_user(), "moderator")  # moderators do not count
    with pytest.raises(Conflict) as info:
        LAST_SUPERADMIN_ACTIONS[action](boss)
    assert info.value.status == 409
    assert state(boss) == ("admin", "superadmin")
    assert boss.role == "admin"


@pytest.mark.parametrize("action", sorted(LAST_SUPERADMIN_ACTIONS))
def test_a_superadmin_with_a_peer_may_go(db, action):
    boss, peer = make_user(), make_user()
    admins.grant(boss, "superadmin")
    admins.grant(peer, "superadmin")
    LAST_SUPERADMIN_ACTIONS[action](boss)
    remaining = Admin.select().where(Admin.admin_level == "superadmin")
    assert [row.user_id for row in remaining] == [peer.id]
    if action == "demote":
        assert state(boss) == ("admin", "moderator")
    elif action == "delete user":
        assert not users.exists(id=boss.id)
    else:
        assert state(boss) == ("user", None)


# -- generic CRUD on the admins table -------------------------------------------
def test_admin_rows_only_change_through_grant_and_revoke(db):
    user = make_user()
    with pytest.raises(ValidationError):
        admins.create(user=user, admin_level="superadmin")
    row = admins.grant(user, "moderator")
    with pytest.raises(ValidationError):
        admins.update(row, admin_level="superadmin")
    assert state(user) == ("admin", "moderator")


def test_deleting_an_admin_row_is_a_revoke(db):
    user = make_user()
    row = admins.grant(user, "moderator")
    admins.delete(row)
    assert state(user) == ("user", None)
    with pytest.raises(NotFound):
        admins.delete(row.id)


def test_admins_get_count_and_page(db):
    people = [make_user() for _ in range(8)]
    rows = [admins.grant(p, "moderator") for p in people]
    expected = spread(rows)
    assert admins.count() == 8
    assert admins.get_by_id(rows[0].id).user.id == people[0].id
    ids, pages = walk(admins, limit=3)
    assert ids == expected and pages == 3


def test_two_concurrent_revokes_cannot_remove_both_last_superadmins(db):
    """Each of two threads revokes one of the two superadmins at the same
    moment: one may succeed, the other must fail, and one superadmin stays."""
    import threading

    import peewee as pw

    first, second = make_user(), make_user()
    admins.grant(first, "superadmin")
    admins.grant(second, "superadmin")
    db.close()  # each thread takes its own pooled connection
    barrier, outcomes = threading.Barrier(2), []

    def revoke(user):
        try:
            with db.connection_context(), db.atomic():
                barrier.wait(timeout=10)
                admins.revoke(User.get_by_id(user.id))
            outcomes.append("revoked")
        except (Conflict, pw.OperationalError) as exc:
            # Conflict on PostgreSQL (the row lock serialises the two);
            # SQLite may refuse the second writer as busy instead.
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=revoke, args=(u,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    db.connect(reuse_if_open=True)
    assert outcomes.count("revoked") == 1, outcomes
    assert Admin.select().where(Admin.admin_level == "superadmin").count() == 1
