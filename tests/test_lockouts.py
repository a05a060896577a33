"""The current lockouts (janus.services.lockout.current) and the console's
unlock (lockout.unlock): the list agrees with what ``assess`` refuses, in
one query, and unlocking writes the rows ``janus-admin unlock`` writes."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playhouse.test_utils import count_queries

from janus.access import Actor, Client
from janus.config import Config
from janus.errors import Forbidden, NotFound
from janus.models import Log, SecurityEvent, User, utcnow
from janus.repos.security import security_events
from janus.services import lockout
from tests.helpers import make_user, set_admin_level

CONFIG = Config(database_url="unused", lockout_threshold=3, lockout_account_threshold=5,
                lockout_window_seconds=600)
A, B, C = "192.0.2.1", "192.0.2.2", "192.0.2.3"


def admin_actor(level: str) -> Actor:
    user = make_user()
    set_admin_level(user, level)
    return Actor(User.get_by_id(user.id), level, client=Client("203.0.113.5", "console"))


def fail(account: str, ip: str, times: int, user=None, ago: float = 60):
    """``times`` login failures, ``ago`` seconds back and one second apart."""
    now = utcnow()
    for n in range(times):
        security_events.record("login_failed", user=user, account=account, ip=ip,
                               timestamp=now - timedelta(seconds=ago - n))


def shown(now=None) -> set[tuple]:
    return {(lock.account, lock.scope, lock.ip, lock.failures)
            for lock in lockout.current(CONFIG, now or utcnow())}


def test_nothing_is_locked_below_the_thresholds(db):
    fail("alice@example.com", A, 2)
    fail("bob@example.com", B, 2)
    assert lockout.current(CONFIG, utcnow()) == []


def test_an_address_lock_names_the_account_its_user_and_the_address(db):
    alice = make_user("alice")
    fail(alice.email, A, 3, user=alice)
    fail(alice.email, B, 1, user=alice)
    now = utcnow()
    [lock] = lockout.current(CONFIG, now)
    assert (lock.account, lock.scope, lock.ip, lock.failures) == (alice.email, "address", A, 3)
    assert lock.user.id == alice.id and lock.user.username == "alice"
    # until: the oldest of the three failures leaves the window (60 s ago + 600 s)
    assert now + timedelta(seconds=530) < lock.until <= now + timedelta(seconds=542)


def test_the_account_lock_from_every_address_together(db):
    fail("alice@example.com", A, 2)
    fail("alice@example.com", B, 2)
    fail("alice@example.com", C, 1)
    assert shown() == {("alice@example.com", "account", None, 5)}


def test_an_unknown_account_is_listed_without_a_user(db):
    fail("nobody", A, 3)
    [lock] = lockout.current(CONFIG, utcnow())
    assert (lock.account, lock.user) == ("nobody", None)


@pytest.mark.parametrize("what", ["expired", "success", "cleared"])
def test_what_ends_a_lock_ends_it_in_the_list(db, what):
    alice = make_user("alice")
    fail(alice.email, A, 3, user=alice, ago=700 if what == "expired" else 60)
    if what == "success":
        security_events.record("login_success", user=alice, account=alice.email, ip=A)
    if what == "cleared":
        lockout.clear(admin_actor("superadmin"), alice)
    assert shown() == set()


def test_the_list_agrees_with_assess(db):
    fail("alice@example.com", A, 3)   # A locked out of alice
    fail("alice@example.com", B, 1)
    fail("bob@example.com", A, 2)     # 5 in all: bob locked from everywhere ...
    fail("bob@example.com", B, 3)     # ... and B from bob by the address limit too
    fail("carol@example.com", C, 2)   # not locked
    now = utcnow()
    locks = lockout.current(CONFIG, now)
    assert {(lock.account, lock.scope, lock.ip) for lock in locks} == {
        ("alice@example.com", "address", A), ("bob@example.com", "account", None),
        ("bob@example.com", "address", B)}
    for account in ("alice@example.com", "bob@example.com", "carol@example.com"):
        for ip in (A, B, C):
            holding = [lock.until for lock in locks if lock.account == account
                       and lock.ip in (None, ip)]
            standing = lockout.assess(account, ip, CONFIG, now)
            if holding:
                assert now + timedelta(seconds=standing.retry_after) == max(holding)
            else:
                assert standing.retry_after is None, (account, ip)


@pytest.mark.parametrize("accounts", [1, 6])
def test_the_list_is_one_query_whatever_its_length(db, accounts):
    for n in range(accounts):
        user = make_user(f"u{n}")
        fail(user.email, A, 3, user=user)
    with count_queries() as counter:
        locks = lockout.current(CONFIG, utcnow())
        names = [lock.user.username for lock in locks]
    assert counter.count == 1
    assert names == sorted(f"u{n}" for n in range(accounts))


# -- unlock -----------------------------------------------------------------------
def rows(model, action: str) -> list:
    return list(model.select().where(model.action == action))


def test_unlock_writes_what_janus_admin_unlock_writes(db):
    alice = make_user("alice")
    fail(alice.email, A, 3, user=alice)
    root = admin_actor("superadmin")
    assert lockout.unlock(root, alice.id).id == alice.id
    assert lockout.current(CONFIG, utcnow()) == []
    assert lockout.assess(alice.email, A, CONFIG, utcnow()).retry_after is None
    [event] = rows(SecurityEvent, "lockout_cleared")
    assert (event.user_id, event.account, event.ip, event.user_agent) == \
        (alice.id, alice.email, "203.0.113.5", "console")
    assert event.security_metadata == {"by_user_id": root.id}
    [entry] = rows(Log, "user.unlocked")
    assert entry.user_id == root.id
    assert entry.log_metadata == {"object_type": "user", "object_id": alice.id}


@pytest.mark.parametrize(("level", "error"), [("moderator", Forbidden), (None, Forbidden)])
def test_only_a_superadmin_unlocks(db, level, error):
    alice = make_user("alice")
    fail(alice.email, A, 3, user=alice)
    actor = admin_actor(level) if level else Actor(alice)
    with pytest.raises(error):
        lockout.unlock(actor, alice.id)
    assert rows(SecurityEvent, "lockout_cleared") == [] and rows(Log, "user.unlocked") == []
    assert len(lockout.current(CONFIG, utcnow())) == 1


@pytest.mark.parametrize("user_id", [999_999, 2**63])
def test_unlocking_no_such_user_is_not_found(db, user_id):
    with pytest.raises(NotFound):
        lockout.unlock(admin_actor("superadmin"), user_id)
