"""The audit trail over HTTP: every successful change writes exactly its
``logs`` rows (who, action, object, what changed, never a secret) in the
change's transaction; a refused change writes none; a failing audit write
rolls the change back. (The crawl of every GET route for leaked secrets:
test_no_secrets.py.)"""
from __future__ import annotations

import pytest

from janus.models import MODELS, AuthToken, Log
from janus.repos.logs import logs
from tests.api.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    SHA,
    SUCCESS,
    UPLOADED_PNG,
    assert_error,
    call,
    id_of,
    image_body,
    row_counts,
    run_case,
    storage_dir,
)
from tests.helpers import stored_files


def _last_log_id():
    row = Log.select(Log.id).order_by(Log.id.desc()).first()
    return row.id if row else 0


@pytest.mark.parametrize("case", SUCCESS, ids=[c.name for c in SUCCESS])
def test_every_change_writes_its_audit_rows(client, world, case):
    since = _last_log_id()
    res = run_case(client, case, world)
    assert res.status_int == case.status, res.text
    body = res.json if res.body else {}
    rows = list(Log.select().where(Log.id > since).order_by(Log.id))
    assert [r.action for r in rows] == [e.action for e in case.expect]
    actor = body["id"] if case.logged_by == "response" else id_of(world, case.actor)
    for row, expect in zip(rows, case.expect, strict=True):
        assert row.user_id == actor
        assert row.module == expect.action.split(".")[0]
        assert row.level == "info"
        meta = row.log_metadata
        assert meta["object_type"] == expect.object_type
        assert meta["object_id"] == expect.object_id(world, body)
        assert meta["changes"] == expect.changes(world, body)
        text = repr(meta)
        assert "$argon2" not in text and PASSWORD not in text and NEW_PASSWORD not in text


# A failed change leaves no audit row and no other trace (``also`` names the
# tables a refusal legitimately writes to, e.g. a failed password check).
FAILURES = [
    ("alice", "POST", "/images", image_body(width=0), 422, ()),
    ("alice", "POST", "/images", image_body(sha256=SHA), 409, ()),
    ("alice", "PATCH", "/images/{file_image}", {"width": 10}, 409, ()),
    ("alice", "POST", "/images/{image}/analysis", None, 409, ()),
    ("bob", "POST", "/images/{uploaded}/analysis", None, 404, ()),
    ("alice", "PATCH", "/images/{uploaded}", {"format": "GIF"}, 409, ()),
    ("mod", "PATCH", "/images/{image}", {"filename": "x.png"}, 403, ()),
    ("bob", "DELETE", "/images/{image}", None, 404, ()),
    ("bob", "POST", "/analytics", {"research_topic": "t", "data": {}, "image_id": "IMAGE"},
     404, ()),
    ("alice", "PATCH", "/analytics/{analytics}", {"data": None}, 422, ()),
    ("anon", "POST", "/auth/register",
     {"email": "ALICE@example.com", "username": "other", "password": NEW_PASSWORD}, 409, ()),
    ("anon", "POST", "/auth/register",
     {"email": "short@example.com", "username": "short", "password": "short"}, 422, ()),
    ("alice", "POST", "/auth/password",
     {"current_password": "wrong password", "new_password": NEW_PASSWORD}, 422, ("security",)),
    ("alice", "POST", "/users",
     {"email": "x@example.com", "username": "x", "password": NEW_PASSWORD}, 403, ()),
    ("root", "PATCH", "/users/{bob}", {"email": "alice@example.com"}, 409, ()),
    ("root", "DELETE", "/users/{root}", None, 409, ()),
    ("root", "POST", "/admins", {"user_id": "MOD"}, 409, ()),
    ("root", "DELETE", "/admins/{root_admin}", None, 409, ()),
    ("mod", "POST", "/admins", {"user_id": "BOB"}, 403, ()),
    ("alice", "POST", "/security-events", {"action": "x"}, 403, ()),
]


@pytest.mark.parametrize("actor, method, path, body, status, also", FAILURES,
                         ids=[f"{a} {m} {p} {s}" for a, m, p, _b, s, _x in FAILURES])
def test_a_refused_change_writes_no_audit_row(client, world, actor, method, path, body, status,
                                              also):
    names = {"IMAGE": world["image"], "BOB": id_of(world, "bob"), "MOD": id_of(world, "mod")}
    body = body and {k: names.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    url = path.format(**{k: id_of(world, k) for k in world if world[k] is not None})
    before = row_counts()
    res = call(client, method, url, world[actor], json=body)
    assert res.status_int == status, res.text
    assert res.json["error"]["code"]
    after = row_counts()
    assert after["logs"] == before["logs"]
    assert {k: v for k, v in after.items() if k not in also} == \
        {k: v for k, v in before.items() if k not in also}


def test_a_repeated_upload_writes_no_audit_row_and_no_file(app, client, world):
    before, files = row_counts(), stored_files(storage_dir(app))
    res = client.post("/images", params={}, upload_files=[("file", "again.png", UPLOADED_PNG)],
                      headers=world["alice"].headers, status="*")
    error = assert_error(res, 409, "conflict")
    assert error["details"] == {"existing_id": world["uploaded"]}
    assert row_counts() == before
    assert stored_files(storage_dir(app)) == files


def test_a_change_that_changes_nothing_writes_no_audit_row(client, world):
    before = row_counts()
    res = call(client, "PATCH", f"/images/{world['image']}", world["alice"],
               json={"filename": "orig.png", "width": 640})
    assert res.status_int == 200
    assert row_counts() == before


def _snapshot():
    """Every row of every table, except the token use (time and address)
    that authentication itself refreshes outside any change."""
    state = {}
    for model in MODELS:
        rows = list(model.select().order_by(model.id).dicts())
        if model is AuthToken:
            for row in rows:
                row.pop("last_used_at")
                row.pop("last_used_ip")
        state[model._meta.table_name] = rows
    return state


@pytest.mark.parametrize("case", SUCCESS, ids=[c.name for c in SUCCESS])
def test_a_failing_audit_write_rolls_the_change_back(app, client, world, monkeypatch, case):
    def broken(*args, **kwargs):
        raise RuntimeError("audit store is down")

    monkeypatch.setattr(logs, "record", broken)
    before, files = _snapshot(), stored_files(storage_dir(app))
    res = run_case(client, case, world)
    assert_error(res, 500, "internal_error")
    assert "audit store" not in res.text
    assert _snapshot() == before
    # Neither an orphan upload nor a lost file.
    assert stored_files(storage_dir(app)) == files


def test_password_stays_when_its_audit_row_fails(client, world, monkeypatch):
    monkeypatch.setattr(logs, "record", lambda *a, **k: 1 / 0)
    alice = world["alice"]
    res = call(client, "POST", "/auth/password", alice,
               json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert_error(res, 500, "internal_error")
    monkeypatch.undo()
    old = call(client, "POST", "/auth/login", json={"login": "alice", "password": PASSWORD})
    assert old.status_int == 200, old.text
    new = call(client, "POST", "/auth/login", json={"login": "alice", "password": NEW_PASSWORD})
    assert_error(new, 401, "unauthorized")
