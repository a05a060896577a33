"""POST, GET and DELETE /api-keys, and a key at work: the done-when flow
(create -> use within scope -> refused outside it -> revoke -> 401), what
kills or narrows a key (expiry, revocation, its owner deactivated, demoted
or deleted), what a key may never do, its rate limit, and the audit rows.
The scope of every route is checked in tests/api/test_access.py."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import webtest

from janus.models import ApiKey, IdempotencyKey, Log, utcnow
from tests.api.helpers import CLIENT_IP, assert_error, call, image_body
from tests.helpers import make_image, set_admin_level


class Key:
    """A key as a client holds it: its id and the plain value."""

    def __init__(self, body: dict):
        self.id, self.plain, self.body = body["id"], body["key"], body

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.plain}"}


def make_key(client, owner, scopes, status=201, **fields) -> Key:
    res = call(client, "POST", "/api-keys", owner,
               json={"name": fields.pop("name", "worker"), "scopes": scopes, **fields})
    assert res.status_int == status, res.text
    return Key(res.json) if status == 201 else res


def as_key(client, method, path, key, status, **kwargs):
    res = call(client, method, path, headers=key.headers, **kwargs)
    assert res.status_int == status, res.text
    return res


def test_create_use_refuse_revoke(client, alice):
    key = make_key(client, alice, ["images:read", "images:write"], name="nightly-import")
    assert key.plain.startswith("jns_") and len(key.plain) > 40
    assert key.body["prefix"] == key.plain[:12]
    assert key.body["scopes"] == ["images:read", "images:write"]
    assert key.body["owner_id"] == alice.id
    # Within its scopes it acts as alice.
    made = as_key(client, "POST", "/images", key, 201, json=image_body())
    assert made.json["owner_id"] == alice.id
    as_key(client, "GET", f"/images/{made.json['id']}", key, 200)
    # Outside them: 403 insufficient_scope, naming the scope, and nothing written.
    counts = Log.select().count()
    res = as_key(client, "POST", "/analytics", key, 403,
                 json={"research_topic": "t", "data": {"n": 1}})
    error = assert_error(res, 403, "insufficient_scope")
    assert error["details"] == {"required_scope": "analytics:write"}
    assert res.headers["WWW-Authenticate"] == \
        'Bearer error="insufficient_scope", scope="analytics:write"'
    assert Log.select().count() == counts
    # Revoked: 401 from then on, and gone from the list.
    call(client, "DELETE", f"/api-keys/{key.id}", alice, status=204)
    res = as_key(client, "GET", "/images", key, 401)
    assert_error(res, 401, "unauthorized")
    assert res.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert call(client, "GET", "/api-keys", alice).json["items"] == []
    call(client, "DELETE", f"/api-keys/{key.id}", alice, status=404)


def test_the_list_shows_everything_but_the_key(client, alice, bob):
    first = make_key(client, alice, ["logs:read"], name="first",
                     expires_at="2099-01-01T00:00:00Z")
    second = make_key(client, alice, ["logs:write"], name="second")
    make_key(client, bob, ["logs:read"], name="bobs")
    as_key(client, "GET", "/logs", first, 200, extra_environ={"REMOTE_ADDR": "203.0.113.5"})
    res = call(client, "GET", "/api-keys", alice, params={"limit": 1})
    assert res.status_int == 200
    (newest,) = res.json["items"]
    assert newest["name"] == "second" and res.json["next_cursor"]
    res = call(client, "GET", "/api-keys", alice, params={"cursor": res.json["next_cursor"]})
    (listed,) = res.json["items"]
    assert res.json["next_cursor"] is None
    assert set(listed) == {"id", "owner_id", "name", "prefix", "scopes", "created_at",
                           "expires_at", "last_used_at", "last_used_ip"}
    assert (listed["id"], listed["name"], listed["prefix"], listed["scopes"]) == (
        first.id, "first", first.plain[:12], ["logs:read"])
    assert listed["expires_at"] == "2099-01-01T00:00:00Z"
    assert listed["last_used_ip"] == "203.0.113.5" and listed["last_used_at"]
    text = res.text + call(client, "GET", "/api-keys", alice).text
    for key in (first, second):
        assert key.plain not in text
        assert hashlib.sha256(key.plain.encode()).hexdigest() not in text
    # The database keeps only the hash.
    stored = ApiKey.get_by_id(first.id)
    assert stored.key_hash == hashlib.sha256(first.plain.encode()).hexdigest()
    assert first.plain not in json.dumps(stored.__data__, default=str)


@pytest.mark.parametrize("who, expected", [("other", 404), ("moderator", 403),
                                           ("superadmin", 204)])
def test_admins_see_keys_and_only_a_superadmin_revokes_others(client, actors, who, expected):
    key = make_key(client, actors["alice"], ["images:read"])
    actor = {"other": actors["bob"], "moderator": actors["moderator"],
             "superadmin": actors["superadmin"]}[who]
    listed = {item["id"] for item in call(client, "GET", "/api-keys", actor,
                                          params={"limit": 500}).json["items"]}
    assert (key.id in listed) == (who != "other")
    res = call(client, "DELETE", f"/api-keys/{key.id}", actor)
    assert res.status_int == expected, res.text
    as_key(client, "GET", "/images", key, 401 if expected == 204 else 200)
    if expected == 204:
        row = Log.select().where(Log.action == "api_key.revoked").get()
        assert row.user_id == actor.id
        assert row.log_metadata["changes"]["owner_id"] == actors["alice"].id


def test_owner_filter_on_the_admins_list(client, alice, bob, moderator):
    mine = make_key(client, alice, ["images:read"])
    make_key(client, bob, ["images:read"])
    res = call(client, "GET", "/api-keys", moderator, params={"owner_id": alice.id})
    assert [item["id"] for item in res.json["items"]] == [mine.id]


def test_create_and_revoke_are_audited_without_the_key(client, alice):
    key = make_key(client, alice, ["images:read", "logs:read"], name="ci")
    call(client, "DELETE", f"/api-keys/{key.id}", alice, status=204)
    created, revoked = (Log.select().where(Log.action == action).get()
                        for action in ("api_key.created", "api_key.revoked"))
    assert created.user_id == revoked.user_id == alice.id
    assert created.log_metadata["object_id"] == revoked.log_metadata["object_id"] == key.id
    assert created.log_metadata["changes"] == {"name": "ci", "prefix": key.plain[:12],
                                               "scopes": ["images:read", "logs:read"],
                                               "expires_at": None}
    text = json.dumps([created.log_metadata, revoked.log_metadata])
    assert key.plain not in text
    assert hashlib.sha256(key.plain.encode()).hexdigest() not in text


@pytest.mark.parametrize("body, path", [
    ({"name": "x", "scopes": []}, "$.scopes"),
    ({"name": "x", "scopes": ["images:delete"]}, "$.scopes[0]"),
    ({"name": "", "scopes": ["images:read"]}, "$.name"),
    ({"name": "x", "scopes": ["images:read"], "expires_at": "2001-01-01T00:00:00Z"},
     "$.expires_at"),
    ({"name": "x", "scopes": ["admin:read"]}, "$.scopes"),  # alice is no admin
    ({"name": "x", "scopes": ["images:read"], "key": "jns_mine"}, "$.key"),
])
def test_bad_requests_are_refused(client, alice, body, path):
    res = call(client, "POST", "/api-keys", alice, json=body)
    error = assert_error(res, 422, "validation_error")
    assert error["details"][0]["path"] == path
    assert ApiKey.select().count() == 0


@pytest.mark.parametrize("level, scope, allowed", [
    ("moderator", "admin:read", True), ("moderator", "admin:write", False),
    ("superadmin", "admin:write", True), (None, "admin:read", False)])
def test_admin_scopes_need_the_level(client, make_actor, level, scope, allowed):
    owner = make_actor(level)
    res = make_key(client, owner, ["images:read", scope], status=201 if allowed else 422)
    if not allowed:
        assert scope in assert_error(res, 422, "validation_error")["message"]


def test_scopes_are_kept_once_in_their_order(client, alice):
    key = make_key(client, alice, ["logs:read", "images:read", "logs:read"])
    assert key.body["scopes"] == ["images:read", "logs:read"]


# -- what kills or narrows a key ---------------------------------------------------
def _expire(key, alice):
    ApiKey.update(expires_at=utcnow() - timedelta(seconds=1)).where(
        ApiKey.id == key.id).execute()


def _revoke_by_hand(key, alice):
    ApiKey.update(revoked_at=utcnow()).where(ApiKey.id == key.id).execute()


def _deactivate(key, alice):
    from janus.models import User
    User.update(is_active=False).where(User.id == alice.id).execute()


def _delete_owner(key, alice):
    from janus.models import User
    User.delete().where(User.id == alice.id).execute()


@pytest.mark.parametrize("kill", [_expire, _revoke_by_hand, _deactivate, _delete_owner])
def test_a_dead_key_is_a_401(client, alice, kill):
    key = make_key(client, alice, ["images:read"])
    as_key(client, "GET", "/images", key, 200)
    kill(key, alice)
    res = as_key(client, "GET", "/images", key, 401)
    assert_error(res, 401, "unauthorized")


def test_a_key_expires_at_its_time(client, alice):
    soon = datetime.now(UTC) + timedelta(hours=1)
    key = make_key(client, alice, ["images:read"], expires_at=soon.isoformat())
    as_key(client, "GET", "/images", key, 200)
    _expire(key, alice)
    assert "expired" in assert_error(as_key(client, "GET", "/images", key, 401), 401,
                                     "unauthorized")["message"]


def test_a_demoted_owner_narrows_the_key_at_once(client, actors):
    mod, alice = actors["moderator"], actors["alice"]
    image = make_image(alice.id)
    key = make_key(client, mod, ["images:read", "admin:read"])
    plain = make_key(client, mod, ["images:read"])
    as_key(client, "GET", f"/images/{image.id}", key, 200)  # reads as a moderator
    assert len(as_key(client, "GET", "/admins", key, 200).json["items"]) >= 2
    # Without admin:read a key acts as a plain user.
    assert_error(as_key(client, "GET", f"/images/{image.id}", plain, 404), 404, "not_found")
    assert_error(as_key(client, "GET", "/admins", plain, 403), 403, "insufficient_scope")
    call(client, "DELETE", f"/admins/{_admin_id(mod)}", actors["superadmin"], status=204)
    assert_error(as_key(client, "GET", f"/images/{image.id}", key, 404), 404, "not_found")
    assert_error(as_key(client, "GET", "/admins", key, 403), 403, "insufficient_scope")
    # Promoted again, the key reads as an admin again: it was never widened.
    set_admin_level(mod.user, "moderator")
    as_key(client, "GET", f"/images/{image.id}", key, 200)


def _admin_id(actor) -> int:
    from janus.models import Admin
    return Admin.get(Admin.user == actor.id).id


def test_a_superadmin_key_changes_others_only_with_admin_write(client, actors):
    root, alice = actors["superadmin"], actors["alice"]
    image = make_image(alice.id)
    reader = make_key(client, root, ["images:write", "admin:read"])
    writer = make_key(client, root, ["images:write", "admin:write"])
    body = {"filename": "moderated.png"}
    assert_error(as_key(client, "PATCH", f"/images/{image.id}", reader, 403, json=body),
                 403, "forbidden")
    as_key(client, "PATCH", f"/images/{image.id}", writer, 200, json=body)


# -- what a key may never do -------------------------------------------------------
EVERY_SCOPE = ["users:read", "users:write", "images:read", "images:write", "analytics:read",
               "analytics:write", "logs:read", "logs:write", "security:read",
               "security:write", "admin:read", "admin:write"]


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/api-keys", {"name": "child", "scopes": ["images:read"]}),
    ("GET", "/api-keys", None),
    ("DELETE", "/api-keys/{key}", None),
    ("POST", "/auth/password", {"current_password": "x", "new_password": "y" * 20}),
    ("POST", "/auth/logout", None),
    ("PATCH", "/users/{owner}", {"email": "thief@example.com"}),
])
def test_a_key_never_manages_keys_passwords_email_or_sessions(client, superadmin, method, path,
                                                               body):
    key = make_key(client, superadmin, EVERY_SCOPE)
    before = {"keys": ApiKey.select().count(), "email": superadmin.user.email}
    res = as_key(client, method, path.format(key=key.id, owner=superadmin.id), key, 403,
                 json=body)
    assert_error(res, 403, "insufficient_scope")
    from janus.models import User
    assert ApiKey.select().where(ApiKey.revoked_at.is_null()).count() == before["keys"]
    assert User.get_by_id(superadmin.id).email == before["email"]
    as_key(client, "GET", "/auth/me", key, 200)  # and the key still works


def test_a_key_changes_its_owners_name_but_not_the_email(client, alice):
    key = make_key(client, alice, ["users:write"])
    res = as_key(client, "PATCH", f"/users/{alice.id}", key, 200, json={"username": "alice2"})
    assert res.json["username"] == "alice2"


def test_the_console_ignores_keys(client, superadmin):
    key = make_key(client, superadmin, EVERY_SCOPE)
    for page in ("/console", "/console/users"):
        res = client.get(page, headers=key.headers, status="*")
        assert res.status_int in (302, 303) and "/console/login" in res.headers["Location"]


def test_a_retry_with_an_idempotency_key_makes_another_key_and_stores_nothing(client, alice):
    headers = {"Idempotency-Key": "retry-1"}
    first, second = (call(client, "POST", "/api-keys", alice, headers=headers,
                          json={"name": "x", "scopes": ["images:read"]}) for _ in range(2))
    assert (first.status_int, second.status_int) == (201, 201)
    assert first.json["key"] != second.json["key"]
    assert "Idempotent-Replayed" not in second.headers
    assert IdempotencyKey.select().count() == 0


def test_a_key_has_its_own_rate_limit(app, make_config, alice):
    from janus.web.app import create_app
    client = webtest.TestApp(create_app(make_config(JANUS_RATE_LIMIT_API_KEY="2/minute")),
                             extra_environ={"REMOTE_ADDR": CLIENT_IP})
    one, two = (make_key(client, alice, ["images:read"]) for _ in range(2))
    as_key(client, "GET", "/images", one, 200)
    as_key(client, "GET", "/auth/me", one, 403)  # a refused request counts too
    res = as_key(client, "GET", "/images", one, 429)
    assert "this API key" in assert_error(res, 429, "too_many_requests")["message"]
    assert int(res.headers["Retry-After"]) >= 1
    as_key(client, "GET", "/images", two, 200)  # another key: its own count
    call(client, "GET", "/images", alice, status=200)  # the login token: not counted


def test_keys_survive_a_reset_and_its_mail_lists_them(mail_client, alice, smtp_server):
    from tests.mail import link_token
    kept = make_key(mail_client, alice, ["images:read"], name="nightly-import")
    gone = make_key(mail_client, alice, ["images:read"], name="old-laptop")
    call(mail_client, "DELETE", f"/api-keys/{gone.id}", alice, status=204)
    call(mail_client, "POST", "/auth/password-reset", json={"email": alice.user.email},
         status=202)
    smtp_server.wait_for(1)
    call(mail_client, "POST", "/auth/password-reset/confirm",
         json={"token": link_token(smtp_server.to(alice.user.email)[0]),
               "password": "difference-engine-no-2"}, status=200)
    call(mail_client, "GET", "/auth/me", alice, status=401)  # the login token ended
    as_key(mail_client, "GET", "/images", kept, 200)  # the machine goes on
    smtp_server.wait_for(2)
    done = smtp_server.to(alice.user.email)[-1]
    assert done["Subject"] == "Your Janus password was reset"
    body = done.get_content()
    assert f"nightly-import ({kept.plain[:12]}...)" in body
    assert "old-laptop" not in body and kept.plain not in body


def test_the_reset_mail_says_nothing_of_keys_when_there_are_none(mail_client, alice,
                                                                 smtp_server):
    from tests.mail import link_token
    call(mail_client, "POST", "/auth/password-reset", json={"email": alice.user.email},
         status=202)
    smtp_server.wait_for(1)
    call(mail_client, "POST", "/auth/password-reset/confirm",
         json={"token": link_token(smtp_server.to(alice.user.email)[0]),
               "password": "difference-engine-no-2"}, status=200)
    smtp_server.wait_for(2)
    assert "API key" not in smtp_server.to(alice.user.email)[-1].get_content()


def test_no_log_line_carries_a_key(app, make_config, alice, janus_log, monkeypatch):
    """Every line the key's life writes (access lines at INFO included): made,
    used, refused, rate-limited, revoked, refused again."""
    import logging

    from janus.web.app import JsonLineFormatter, create_app
    monkeypatch.setattr(logging.getLogger("janus"), "level", logging.INFO)
    client = webtest.TestApp(create_app(make_config(JANUS_RATE_LIMIT_API_KEY="2/minute")),
                             extra_environ={"REMOTE_ADDR": CLIENT_IP})
    logging.getLogger("janus").setLevel(logging.INFO)  # create_app set the configured level
    # Access lines as records (janus.web.access_line's fallback without its
    # handler), so janus_log holds every line the key's life writes.
    from janus.web import access_line
    janus_logger = logging.getLogger("janus")
    monkeypatch.setattr(janus_logger, "handlers", [
        h for h in janus_logger.handlers if h.name != access_line.HANDLER_NAME])
    key = make_key(client, alice, ["images:read"])
    as_key(client, "GET", "/images", key, 200)
    as_key(client, "GET", "/logs", key, 403)
    as_key(client, "GET", "/images", key, 429)
    call(client, "DELETE", f"/api-keys/{key.id}", alice, status=204)
    as_key(client, "GET", "/images", key, 401)
    formatter = JsonLineFormatter()
    lines = [formatter.format(record) for record in janus_log.records]
    access = [line for line in lines if '"message":"request"' in line]
    assert len(access) == 6
    # A key's request is its owner's, refused or not; a dead key's is no one's.
    assert all(f'"user_id":{alice.id}' in line for line in access[:-1])
    assert '"user_id":null' in access[-1]
    assert any('"rule":"api_key"' in line for line in lines)  # the 429's line
    text = "\n".join(lines)
    assert key.plain not in text and key.plain[4:] not in text
    assert hashlib.sha256(key.plain.encode()).hexdigest() not in text


def test_the_audit_trail_redacts_key_fields():
    from janus.audit import redact
    assert redact({"key": "jns_abc", "key_hash": "ab" * 32, "name": "ci"}) == {
        "key": "[redacted]", "key_hash": "[redacted]", "name": "ci"}
