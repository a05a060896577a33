"""A user's API keys in the console: listed on their page for moderators
and up (never the key or its hash), revoked by a superadmin (CSRF-checked,
the same audit row as DELETE /api-keys/{id}), and the key dead at once."""
from __future__ import annotations

import hashlib
import secrets

import webtest

from janus.models import ApiKey, Log, utcnow
from tests.api.helpers import CLIENT_IP
from tests.helpers import make_user


def make_key(user_id: int, name: str = "nightly-import", **fields) -> tuple[ApiKey, str]:
    plain = "jns_" + secrets.token_urlsafe(32)
    row = ApiKey.create(owner=user_id, name=name, prefix=plain[:12],
                        key_hash=hashlib.sha256(plain.encode()).hexdigest(),
                        scopes=["images:read", "logs:write"], **fields)
    return row, plain


def test_moderators_see_a_users_keys_without_the_key(as_moderator):
    user = make_user("ada")
    key, plain = make_key(user.id, last_used_at=utcnow(), last_used_ip="203.0.113.8")
    make_key(user.id, name="old-laptop", revoked_at=utcnow())
    res = as_moderator.get(f"/console/users/{user.id}")
    assert res.status_int == 200
    section = res.text.split('id="api-keys"', 1)[1].split("<h2", 1)[0]
    assert "nightly-import" in section and f"{key.prefix}…" in section
    assert "images:read, logs:write" in section and "203.0.113.8" in section
    assert "old-laptop" not in section  # revoked: gone
    assert plain not in res.text and key.key_hash not in res.text
    assert "/revoke" not in section  # reading only: revoking is a superadmin's


def test_a_user_without_keys_says_so(as_moderator):
    user = make_user("grace")
    assert "No API keys." in as_moderator.get(f"/console/users/{user.id}").text


def test_a_superadmin_revokes_a_key(app, as_superadmin):
    user = make_user("ada")
    key, plain = make_key(user.id)
    api = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": CLIENT_IP})
    bearer = {"Authorization": f"Bearer {plain}"}
    api.get("/images", headers=bearer, status=200)
    page = as_superadmin.get(f"/console/users/{user.id}")
    assert f'action="/console/api-keys/{key.id}/revoke"' in page.text
    res = as_superadmin.post(f"/console/api-keys/{key.id}/revoke")
    assert res.status_int == 303
    assert res.headers["Location"].endswith(f"/console/users/{user.id}#api-keys")
    shown = as_superadmin.get(f"/console/users/{user.id}").text
    assert "nightly-import" in shown.split("flash", 1)[1][:300]  # the flash names it
    assert "No API keys." in shown
    assert ApiKey.get_by_id(key.id).revoked_at is not None
    (row,) = Log.select().where(Log.action == "api_key.revoked")
    assert row.user_id == as_superadmin.actor.id
    assert row.log_metadata["changes"] == {"name": "nightly-import", "prefix": key.prefix,
                                           "owner_id": user.id}
    api.get("/images", headers=bearer, status=401)


def test_a_revoke_without_the_csrf_token_changes_nothing(as_superadmin):
    user = make_user("ada")
    key, _ = make_key(user.id)
    res = as_superadmin.post(f"/console/api-keys/{key.id}/revoke", csrf="")
    assert res.status_int == 403
    assert ApiKey.get_by_id(key.id).revoked_at is None
    assert not Log.select().where(Log.action == "api_key.revoked").exists()


def test_an_unknown_key_is_a_404_page(as_superadmin):
    res = as_superadmin.post("/console/api-keys/999999/revoke")
    assert res.status_int == 404 and "<h1>Not found</h1>" in res.text
