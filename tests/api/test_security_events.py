"""/security-events over HTTP: read your own, admins append, nobody rewrites."""
from __future__ import annotations

from datetime import timedelta

import pytest

from janus.models import SecurityEvent
from janus.repos.security import security_events
from tests.api.helpers import assert_error, call, error_paths, ids, row_counts, walk
from tests.helpers import T0


def _event(user, action="login_failed", account=None, ip="203.0.113.1", minutes=None):
    row = security_events.record(action, user=user.id if user else None,
                                 account=account or (user.user.email if user else "ghost"),
                                 ip=ip)
    if minutes is not None:
        SecurityEvent.update(timestamp=T0 + timedelta(minutes=minutes)).where(
            SecurityEvent.id == row.id).execute()
    return SecurityEvent.get_by_id(row.id)


@pytest.mark.parametrize("reporter", ["moderator", "superadmin"])
def test_admins_report_events(client, request, alice, reporter):
    actor = request.getfixturevalue(reporter)
    res = call(client, "POST", "/security-events", actor,
               json={"action": "gateway_block", "user_id": alice.id,
                     "account": " Alice@Example.COM ", "ip": "2001:DB8::1",
                     "user_agent": "gateway/1.0", "security_metadata": {"rule": 7}})
    assert res.status_int == 201, res.text
    row = res.json
    assert (row["action"], row["user_id"], row["account"], row["ip"], row["user_agent"]) == \
        ("gateway_block", alice.id, "alice@example.com", "2001:db8::1", "gateway/1.0")
    assert row["security_metadata"] == {"rule": 7, "reported_by": actor.id}
    assert row["timestamp"].endswith("Z")
    stored = SecurityEvent.get_by_id(row["id"])
    assert (stored.user_id, stored.action) == (alice.id, "gateway_block")
    assert call(client, "GET", f"/security-events/{row['id']}", actor).json == row


def test_users_may_not_report_events(client, alice):
    before = row_counts()
    res = call(client, "POST", "/security-events", alice, json={"action": "gateway_block"})
    assert_error(res, 403, "forbidden")
    assert row_counts() == before


def test_reporting_needs_a_token(client):
    assert_error(call(client, "POST", "/security-events", json={"action": "x"}),
                 401, "unauthorized")
    assert SecurityEvent.select().count() == 0


def test_unknown_subject_is_404(client, moderator):
    before = row_counts()
    res = call(client, "POST", "/security-events", moderator,
               json={"action": "gateway_block", "user_id": 999999})
    assert_error(res, 404, "not_found")
    assert row_counts() == before


@pytest.mark.parametrize("body, path", [
    ({"action": "has space"}, "$.action"),
    ({"action": "x" * 33}, "$.action"),
    ({"action": "x", "ip": 5}, "$.ip"),
    ({"action": "x", "account": 5}, "$.account"),
    ({"action": "x", "user_id": 0}, "$.user_id"),
    ({"action": "x", "security_metadata": "s"}, "$.security_metadata"),
    ({"action": "x", "timestamp": "2024-01-01T00:00:00Z"}, "$.timestamp"),
    ({}, "$"),
])
def test_report_validation(client, moderator, body, path):
    error = assert_error(call(client, "POST", "/security-events", moderator, json=body),
                         422, "validation_error")
    assert error_paths(error) == [path]
    assert SecurityEvent.select().count() == 0


def _catalogue(alice, bob):
    return [
        _event(alice, "login_failed", ip="203.0.113.1", minutes=0),
        _event(alice, "login_success", ip="203.0.113.1", minutes=10),
        _event(bob, "login_failed", ip="198.51.100.9", minutes=20),
        _event(None, "login_failed", account="ghost@example.com", ip="2001:db8::1", minutes=30),
        _event(bob, "logout", ip="198.51.100.9", minutes=40),
    ]


@pytest.mark.parametrize("params, keep", [
    ({"action": "login_failed"}, lambda r, a: r.action == "login_failed"),
    ({"account": "GHOST@example.com"}, lambda r, a: r.account == "ghost@example.com"),
    ({"account": "alice@example.com"}, lambda r, a: r.account == "alice@example.com"),
    ({"ip": "198.51.100.9"}, lambda r, a: r.ip == "198.51.100.9"),
    ({"ip": "2001:DB8:0::1"}, lambda r, a: r.ip == "2001:db8::1"),
    ({"user_id": "ALICE"}, lambda r, a: r.user_id == a.id),
    ({"since": "2024-03-01T12:20:00Z"}, lambda r, a: r.timestamp >= T0 + timedelta(minutes=20)),
    ({"until": "2024-03-01T12:20:00Z"}, lambda r, a: r.timestamp < T0 + timedelta(minutes=20)),
    ({"action": "login_failed", "ip": "203.0.113.1"},
     lambda r, a: r.action == "login_failed" and r.ip == "203.0.113.1"),
])
def test_list_filters(client, moderator, alice, bob, params, keep):
    made = _catalogue(alice, bob)
    params = {k: (alice.id if v == "ALICE" else v) for k, v in params.items()}
    items, _pages = walk(client, "/security-events", moderator, limit=2, **params)
    expected = [r.id for r in sorted(made, key=lambda r: (r.timestamp, r.id), reverse=True)
                if keep(r, alice)]
    assert expected
    assert ids(items) == expected


@pytest.mark.parametrize("method, path", [
    ("PATCH", "/security-events/{id}"), ("DELETE", "/security-events/{id}"),
    ("PUT", "/security-events/{id}"), ("PATCH", "/security-events"),
    ("DELETE", "/security-events"),
])
@pytest.mark.parametrize("viewer", ["alice", "superadmin"])
def test_append_only(client, request, alice, method, path, viewer):
    actor = request.getfixturevalue(viewer)
    row = _event(alice)
    before = row_counts()
    kwargs = {"json": {"action": "rewritten"}} if method in ("PATCH", "PUT") else {}
    res = call(client, method, path.format(id=row.id), actor, **kwargs)
    assert_error(res, 405, "method_not_allowed")
    assert row_counts() == before
    assert SecurityEvent.get_by_id(row.id).action == "login_failed"
