"""Security events: record(), the lookups, and the lockout count."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from janus.errors import ValidationError
from janus.models import SecurityEvent
from janus.repos.security import security_events
from tests.helpers import T0, make_user, set_time, spread, walk


def ids(query) -> set[int]:
    return {row.id for row in query}


def stored(row) -> SecurityEvent:
    return SecurityEvent.get_by_id(row.id)


def test_record_writes_one_row(db):
    user = make_user()
    row = stored(security_events.record("login_success", user=user, account=" Alice@Example.COM ",
                                        ip="203.0.113.9", user_agent="curl/8.0",
                                        metadata={"rehashed": True}))
    assert (row.action, row.user_id, row.account) == ("login_success", user.id, "alice@example.com")
    assert (row.ip, row.user_agent, row.security_metadata) == ("203.0.113.9", "curl/8.0",
                                                               {"rehashed": True})
    assert row.timestamp is not None


def test_record_defaults(db):
    row = stored(security_events.record("login_failed"))
    assert (row.user_id, row.account, row.ip, row.user_agent, row.security_metadata) == \
        (None, None, None, None, {})


@pytest.mark.parametrize("ip, expected", [
    ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
    (" 192.0.2.1 ", "192.0.2.1"),
    ("", None),
    ("unknown", "unknown"),                 # a proxy's placeholder is kept, not refused
    ("192.0.2.1:8080", "192.0.2.1:8080"),
    ("x" * 100, "x" * 45),
])
def test_ip_is_normalised_not_refused(db, ip, expected):
    assert stored(security_events.record("login_failed", ip=ip)).ip == expected


def test_over_long_client_strings_are_cut_not_refused(db):
    row = stored(security_events.record("login_failed", account="A" * 300, user_agent="u" * 600))
    assert row.account == "a" * 254
    assert row.user_agent == "u" * 512


@pytest.mark.parametrize("kwargs, path", [
    ({"action": ""}, "$.action"),
    ({"action": None}, "$.action"),
    ({"action": "a" * 33}, "$.action"),
    ({"ip": 5}, "$.ip"),
    ({"account": 5}, "$.account"),
    ({"user_agent": 5}, "$.user_agent"),
    ({"metadata": [1]}, "$.security_metadata"),
    ({"user": "1"}, "$.user"),
])
def test_record_rejects_bad_input(db, kwargs, path):
    with pytest.raises(ValidationError) as info:
        security_events.record(**{"action": "login_failed", **kwargs})
    assert path in [d["path"] for d in info.value.details]
    assert security_events.count() == 0


def test_record_for_a_missing_user_is_a_validation_error(db):
    with pytest.raises(ValidationError):
        security_events.record("login_failed", user=999_999)
    assert security_events.count() == 0


# -- lookups ------------------------------------------------------------------
def test_by_user_action_account_ip_and_metadata(db):
    alice, bob = make_user(), make_user()
    a1 = security_events.record("login_success", user=alice, account="alice@example.com",
                                ip="192.0.2.1", metadata={"reason": None, "method": "password"})
    a2 = security_events.record("login_failed", user=alice, account="alice",
                                ip="192.0.2.2", metadata={"reason": "wrong_password"})
    b1 = security_events.record("login_failed", user=bob, account="bob@example.com",
                                ip="2001:db8::1", metadata={"reason": "wrong_password"})
    anon = security_events.record("login_failed", account="ghost@example.com", ip="192.0.2.1",
                                  metadata={"reason": "unknown_account"})
    assert ids(security_events.by_user(alice)) == {a1.id, a2.id}
    assert ids(security_events.by_user(bob.id)) == {b1.id}
    assert ids(security_events.by_user(None)) == {anon.id}
    assert ids(security_events.by_action("login_failed")) == {a2.id, b1.id, anon.id}
    assert ids(security_events.by_action("login_failed", security_events.by_user(alice))) == {a2.id}
    assert ids(security_events.by_account("ALICE@example.com")) == {a1.id}
    assert ids(security_events.by_ip("192.0.2.1")) == {a1.id, anon.id}
    assert ids(security_events.by_ip("2001:DB8::0:1")) == {b1.id}
    assert ids(security_events.by_metadata("reason", "wrong_password")) == {a2.id, b1.id}
    assert ids(security_events.by_metadata("method", "password")) == {a1.id}


@pytest.mark.parametrize("call", [
    lambda: security_events.by_action(""), lambda: security_events.by_account(" "),
    lambda: security_events.by_ip(""), lambda: security_events.by_user(1.5),
    lambda: security_events.by_metadata("reason", ["x"]),
    lambda: security_events.recent(limit=-1),
])
def test_lookups_validate_their_arguments(db, call):
    with pytest.raises(ValidationError):
        call()


def test_recent(db):
    user = make_user()
    rows = [security_events.record("login_success", user=user) for _ in range(8)]
    expected = spread(rows)
    assert [r.id for r in security_events.recent()] == expected
    assert [r.id for r in security_events.recent(limit=2)] == expected[:2]
    since = T0 + timedelta(seconds=1)
    newer = {r.id for r in SecurityEvent.select().where(SecurityEvent.timestamp >= since)}
    assert [r.id for r in security_events.recent(since=since)] == \
        [i for i in expected if i in newer]
    assert [r.id for r in security_events.recent(query=security_events.by_user(user), limit=1)] == \
        expected[:1]


# -- failures_since (the lockout count) -----------------------------------------
def _failure(account, minutes_ago, action="login_failed", user=None):
    row = security_events.record(action, user=user, account=account)
    set_time(row, T0 - timedelta(minutes=minutes_ago))
    return row


def test_failures_since_counts_one_accounts_recent_failures(db):
    alice = make_user("alice")
    for minutes in (1, 5, 14):
        _failure("alice@example.com", minutes, user=alice)
    _failure("alice@example.com", 16, user=alice)                 # before the window
    _failure("alice@example.com", 2, action="login_success", user=alice)
    _failure("alice@example.com", 2, action="login_locked", user=alice)
    _failure("bob@example.com", 2)                                # another account
    _failure("ALICE@EXAMPLE.COM", 3)                              # same account, any case
    window = T0 - timedelta(minutes=15)
    assert security_events.failures_since("alice@example.com", window) == 4
    assert security_events.failures_since(" Alice@Example.com ", window) == 4
    assert security_events.failures_since("bob@example.com", window) == 1
    assert security_events.failures_since("alice@example.com", T0) == 0
    # The bound is inclusive, to the microsecond.
    edge = T0 - timedelta(minutes=14)
    assert security_events.failures_since("alice@example.com", edge) == 4
    assert security_events.failures_since("alice@example.com",
                                          edge + timedelta(microseconds=1)) == 3


def test_failures_since_counts_unknown_accounts(db):
    for minutes in (1, 2):
        _failure("ghost@example.com", minutes)
    assert security_events.failures_since("ghost@example.com", T0 - timedelta(hours=1)) == 2


def test_failures_since_accepts_aware_bounds(db):
    _failure("alice", 10)
    bound = (T0 - timedelta(minutes=11)).replace(tzinfo=UTC).astimezone(
        timezone(timedelta(hours=-5)))
    assert security_events.failures_since("alice", bound) == 1
    assert security_events.failures_since(
        "alice", datetime(2024, 3, 1, 6, 55, tzinfo=timezone(timedelta(hours=-5)))) == 0


@pytest.mark.parametrize("account, since", [
    ("alice", None), ("alice", "2024-01-01"), ("", T0), (None, T0),
])
def test_failures_since_validates(db, account, since):
    with pytest.raises(ValidationError):
        security_events.failures_since(account, since)


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_page(db, limit):
    rows = [security_events.record("login_failed", account=f"a{n % 2}") for n in range(8)]
    expected = spread(rows)
    assert walk(security_events, limit=limit)[0] == expected
    a0 = {r.id for r in rows if r.account == "a0"}
    assert walk(security_events, security_events.by_account("a0"), limit=limit)[0] == \
        [i for i in expected if i in a0]
