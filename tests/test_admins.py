"""Admins: grant/revoke keep User.role and the Admin row in step; the last
superadmin is protected. Every check reads the database afresh."""
from __future__ import annotations

import pytest

from janus.access import Actor
from janus.db import database, is_postgres
from janus.errors import Conflict, NotFound
from janus.models import Admin, User
from janus.services.admins import admins, grant, guard_last_superadmin, level_of, revoke
from tests.helpers import make_user, spread, walk


def _actor() -> Actor:
    return Actor(make_user())


def delete_user(user) -> None:
    """The guard the accounts service runs before deleting a user."""
    with database.atomic():
        guard_last_superadmin(user, "deleted")
        User.delete().where(User.id == user.id).execute()



def state(user) -> tuple[str, str | None]:
    """(role, admin_level) as stored now."""
    row = Admin.get_or_none(Admin.user == user.id)
    return User.get_by_id(user.id).role, (row.admin_level if row else None)


def test_grant_makes_an_admin(db):
    boss, user = make_user(), make_user()
    row = grant(Actor(boss), user, "moderator")
    assert state(user) == ("admin", "moderator")
    assert user.role == "admin"  # the caller's object follows too
    assert Admin.get_by_id(row.id).granted_by_id == boss.id
    assert state(boss) == ("user", None)


def test_granting_twice_changes_the_level_in_place(db):
    boss, user = make_user(), make_user()
    first = grant(_actor(), user, "moderator")
    second = grant(Actor(boss), user, "superadmin")
    assert second.id == first.id
    assert state(user) == ("admin", "superadmin")
    assert Admin.select().where(Admin.user == user.id).count() == 1
    assert Admin.get_by_id(first.id).granted_by_id == boss.id


def test_granting_the_same_level_again_is_a_no_op(db):
    user = make_user()
    first = grant(_actor(), user, "moderator")
    assert grant(_actor(), user, "moderator").id == first.id
    assert state(user) == ("admin", "moderator") and Admin.select().count() == 1


def test_grant_repairs_a_stale_role(db):
    # A row written behind the service's back: grant() still sets the role.
    user = make_user()
    Admin.create(user=user, admin_level="moderator")
    grant(_actor(), user, "moderator")
    assert state(user) == ("admin", "moderator")


def test_revoke(db):
    user = make_user()
    grant(_actor(), user, "moderator")
    revoke(_actor(), user)
    assert state(user) == ("user", None)
    assert user.role == "user"
    assert User.select().where(User.id == user.id).exists()  # the account stays


def test_revoking_a_non_admin_is_not_found(db):
    user = make_user()
    with pytest.raises(NotFound):
        revoke(_actor(), user)
    assert state(user) == ("user", None)


def test_a_moderator_can_be_revoked_without_any_superadmin(db):
    user = make_user()
    grant(_actor(), user, "moderator")
    revoke(_actor(), user)
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
        grant(_actor(), user, level)
    assert level_of(user) == level
    assert level_of(user.id) == level
    assert Actor(user, level_of(user)).has_level(asked) is expected


# -- the last superadmin --------------------------------------------------------
LAST_SUPERADMIN_ACTIONS = {
    "revoke": lambda user: revoke(_actor(), user),
    "demote": lambda user: grant(_actor(), user, "moderator"),
    "delete user": lambda user: delete_user(user),
}


@pytest.mark.parametrize("action", sorted(LAST_SUPERADMIN_ACTIONS))
def test_the_last_superadmin_is_protected(db, action):
    boss = make_user()
    grant(_actor(), boss, "superadmin")
    grant(_actor(), make_user(), "moderator")  # moderators do not count
    with pytest.raises(Conflict) as info:
        LAST_SUPERADMIN_ACTIONS[action](boss)
    assert info.value.status == 409
    assert state(boss) == ("admin", "superadmin")
    assert boss.role == "admin"


@pytest.mark.parametrize("action", sorted(LAST_SUPERADMIN_ACTIONS))
def test_a_superadmin_with_a_peer_may_go(db, action):
    boss, peer = make_user(), make_user()
    grant(_actor(), boss, "superadmin")
    grant(_actor(), peer, "superadmin")
    LAST_SUPERADMIN_ACTIONS[action](boss)
    remaining = Admin.select().where(Admin.admin_level == "superadmin")
    assert [row.user_id for row in remaining] == [peer.id]
    if action == "demote":
        assert state(boss) == ("admin", "moderator")
    elif action == "delete user":
        assert not User.select().where(User.id == boss.id).exists()
    else:
        assert state(boss) == ("user", None)


# -- listing ------------------------------------------------------------------
def test_admins_get_count_and_page(db):
    people = [make_user() for _ in range(8)]
    rows = [grant(_actor(), p, "moderator") for p in people]
    expected = spread(rows)
    assert admins.select().count() == 8
    assert admins.get_by_id(rows[0].id).user.id == people[0].id
    ids, pages = walk(admins, limit=3)
    assert ids == expected and pages == 3


def test_two_concurrent_revokes_cannot_remove_both_last_superadmins(db):
    """Each of two threads revokes one of the two superadmins at the same
    moment: one may succeed, the other must fail, and one superadmin stays."""
    import threading

    import peewee as pw

    first, second = make_user(), make_user()
    grant(_actor(), first, "superadmin")
    grant(_actor(), second, "superadmin")
    actor, postgres = _actor(), is_postgres()
    db.close()  # each thread takes its own pooled connection
    barrier, outcomes = threading.Barrier(2), []

    def attempt(user):
        try:
            with db.connection_context():
                if not postgres:  # SQLite's BEGIN IMMEDIATE already makes writers take turns
                    barrier.wait(timeout=10)
                with db.atomic():
                    if postgres:  # both transactions are open before either reads
                        barrier.wait(timeout=10)
                    revoke(actor, User.get_by_id(user.id))
            outcomes.append("revoked")
        except (Conflict, pw.OperationalError) as exc:
            # Conflict on PostgreSQL (the row lock serialises the two);
            # SQLite may refuse the second writer as busy instead.
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=(u,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    db.connect(reuse_if_open=True)
    assert outcomes.count("revoked") == 1, outcomes
    assert Admin.select().where(Admin.admin_level == "superadmin").count() == 1
