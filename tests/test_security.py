"""Security events: record() with its normalisation (cut, never refused),
the lookups, and paging. What an admin may report is checked by
SecurityEventCreateIn (tests/api/test_security_events.py); the lockout
count lives in janus.services.auth (tests/api/test_lockout.py)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from janus.errors import ValidationError
from janus.models import SecurityEvent
from janus.repos.security import security_events
from tests.helpers import T0, make_user, spread, walk


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


def test_record_for_a_missing_user_is_a_validation_error(db):
    with pytest.raises(ValidationError):
        security_events.record("login_failed", user=999_999)
    assert SecurityEvent.select().count() == 0


# -- lookups ------------------------------------------------------------------
def test_by_user_action_account_and_ip(db):
    alice, bob = make_user(), make_user()
    a1 = security_events.record("login_success", user=alice, account="alice@example.com",
                                ip="192.0.2.1", metadata={"reason": None, "method": "password"})
    a2 = security_events.record("login_failed", user=alice, account="alice",
                                ip="192.0.2.2", metadata={"reason": "wrong_password"})
    b1 = security_events.record("login_failed", user=bob, account="bob@example.com",
                                ip="2001:db8::1", metadata={"reason": "wrong_password"})
    anon = security_events.record("login_failed", account="ghost@example.com", ip="192.0.2.1",
                                  metadata={"reason": "unknown_account"})
    everything = security_events.select()
    assert ids(security_events.by_user(alice.id, everything)) == {a1.id, a2.id}
    assert ids(security_events.by_user(bob.id, everything)) == {b1.id}
    assert ids(security_events.by_user(None, everything)) == {anon.id}
    assert ids(security_events.by_action("login_failed", everything)) == {a2.id, b1.id, anon.id}
    assert ids(security_events.by_action("login_failed",
                                         security_events.by_user(alice.id, everything))) == {a2.id}
    assert ids(security_events.by_account("ALICE@example.com", everything)) == {a1.id}
    assert ids(security_events.by_account(" Alice ", everything)) == {a2.id}
    assert ids(security_events.by_ip("192.0.2.1", everything)) == {a1.id, anon.id}
    assert ids(security_events.by_ip(" 192.0.2.1 ", everything)) == {a1.id, anon.id}
    assert ids(security_events.by_ip("2001:DB8::0:1", everything)) == {b1.id}


def test_newest_first_and_since(db):
    user = make_user()
    rows = [security_events.record("login_success", user=user) for _ in range(8)]
    expected = spread(rows)

    def page_ids(query=None, limit=50):
        return [r.id for r in security_events.page(query, limit=limit).items]

    assert page_ids() == expected
    assert page_ids(limit=2) == expected[:2]
    since = T0 + timedelta(seconds=1)
    newer = {r.id for r in SecurityEvent.select().where(SecurityEvent.timestamp >= since)}
    assert page_ids(security_events.since(security_events.select(), since)) == \
        [i for i in expected if i in newer]
    assert page_ids(security_events.by_user(user.id, security_events.select()), limit=1) == \
        expected[:1]


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_page(db, limit):
    rows = [security_events.record("login_failed", account=f"a{n % 2}") for n in range(8)]
    expected = spread(rows)
    assert walk(security_events, limit=limit)[0] == expected
    a0 = {r.id for r in rows if r.account == "a0"}
    query = security_events.by_account("a0", security_events.select())
    assert walk(security_events, query, limit=limit)[0] == \
        [i for i in expected if i in a0]
