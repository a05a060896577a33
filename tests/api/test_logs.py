"""/logs over HTTP: the append-only audit trail."""
from __future__ import annotations

from datetime import timedelta

import pytest

from janus.models import Log
from janus.repos.logs import logs
from tests.api.helpers import assert_error, call, error_paths, ids, row_counts, walk
from tests.helpers import T0


def _record(user, action="client.event", module="client", level="info", minutes=None, **meta):
    row = logs.record(action, module, user=user.id if user else None, level=level,
                      metadata=meta or None)
    if minutes is not None:
        Log.update(timestamp=T0 + timedelta(minutes=minutes)).where(Log.id == row.id).execute()
    return Log.get_by_id(row.id)


def test_post_records_the_caller_as_user(client, alice):
    res = call(client, "POST", "/logs", alice,
               json={"action": "editor.opened", "module": "editor",
                     "log_metadata": {"tab": 3}})
    assert res.status_int == 201, res.text
    row = res.json
    assert row["user_id"] == alice.id
    assert (row["action"], row["module"], row["level"]) == ("editor.opened", "editor", "info")
    assert row["log_metadata"] == {"tab": 3}
    assert row["timestamp"].endswith("Z")
    stored = Log.get_by_id(row["id"])
    assert stored.user_id == alice.id and stored.action == "editor.opened"

    again = call(client, "GET", f"/logs/{row['id']}", alice)
    assert again.status_int == 200
    assert again.json == row


@pytest.mark.parametrize("body, path", [
    ({"action": "x", "module": "m", "user_id": 1}, "$.user_id"),
    ({"action": "x", "module": "m", "level": "loud"}, "$.level"),
    ({"action": "x", "module": "m", "level": "INFO"}, "$.level"),
    ({"action": "a" * 65, "module": "m"}, "$.action"),
    ({"action": "has space", "module": "m"}, "$.action"),
    ({"action": "x", "module": ""}, "$.module"),
    ({"module": "m"}, "$"),
    ({"action": "x", "module": "m", "log_metadata": [1]}, "$.log_metadata"),
    ({"action": "x", "module": "m", "timestamp": "2024-01-01T00:00:00Z"}, "$.timestamp"),
])
def test_post_validation(client, alice, body, path):
    error = assert_error(call(client, "POST", "/logs", alice, json=body), 422, "validation_error")
    assert error_paths(error) == [path]
    assert Log.select().count() == 0


def _catalogue(alice, bob):
    return [
        _record(alice, "image.created", "image", "info", 0),
        _record(alice, "image.updated", "image", "warning", 10),
        _record(bob, "image.created", "image", "info", 20),
        _record(bob, "user.updated", "user", "error", 30),
        _record(None, "system.started", "system", "critical", 40),
    ]


@pytest.mark.parametrize("params, keep", [
    ({"action": "image.created"}, lambda r, a: r.action == "image.created"),
    ({"module": "image"}, lambda r, a: r.module == "image"),
    ({"level": "warning"}, lambda r, a: r.level == "warning"),
    ({"user_id": "ALICE"}, lambda r, a: r.user_id == a.id),
    ({"since": "2024-03-01T12:20:00Z"}, lambda r, a: r.timestamp >= T0 + timedelta(minutes=20)),
    ({"until": "2024-03-01T12:20:00Z"}, lambda r, a: r.timestamp < T0 + timedelta(minutes=20)),
    ({"module": "image", "user_id": "ALICE", "level": "info"},
     lambda r, a: r.module == "image" and r.user_id == a.id and r.level == "info"),
])
def test_list_filters(client, moderator, alice, bob, params, keep):
    made = _catalogue(alice, bob)
    params = {k: (alice.id if v == "ALICE" else v) for k, v in params.items()}
    items, _pages = walk(client, "/logs", moderator, limit=2, **params)
    expected = [r.id for r in sorted(made, key=lambda r: (r.timestamp, r.id), reverse=True)
                if keep(r, alice)]
    assert expected
    assert ids(items) == expected


def test_user_filter_cannot_reach_other_users_rows(client, alice, bob):
    _catalogue(alice, bob)
    res = call(client, "GET", "/logs", alice, params={"user_id": bob.id})
    assert res.status_int == 200
    assert res.json == {"items": [], "next_cursor": None, "total": None}


@pytest.mark.parametrize("method, path", [
    ("PATCH", "/logs/{id}"), ("DELETE", "/logs/{id}"), ("PUT", "/logs/{id}"),
    ("PATCH", "/logs"), ("DELETE", "/logs"), ("POST", "/logs/{id}"),
])
@pytest.mark.parametrize("viewer", ["alice", "superadmin"])
def test_append_only(client, request, alice, method, path, viewer):
    actor = request.getfixturevalue(viewer)
    row = _record(alice, "client.event", "client")
    before = row_counts()
    kwargs = {"json": {"action": "rewritten"}} if method in ("PATCH", "PUT", "POST") else {}
    res = call(client, method, path.format(id=row.id), actor, **kwargs)
    assert_error(res, 405, "method_not_allowed")
    assert "PATCH" not in res.headers.get("Allow", "")
    assert "DELETE" not in res.headers.get("Allow", "")
    assert row_counts() == before
    assert Log.get_by_id(row.id).action == "client.event"
