"""HTTP tests for /auth: register, login, logout, me, password change.

Every test asserts the status first, then the body, then what the database
holds afterwards. Timing is never measured: "comparable time" is checked by
counting argon2 verifications instead.
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import argon2
import pytest
import webtest

from janus import passwords
from janus.models import AuthToken, Log, SecurityEvent, User, utcnow
from janus.web.app import create_app
from tests.api.helpers import CLIENT_IP, PASSWORD, fresh
from tests.api.helpers import assert_error as error_of

NEW_PASSWORD = "a brand new passphrase"
UA = {"User-Agent": "janus-tests/auth"}


# -- helpers -------------------------------------------------------------------
def without_request_id(res) -> dict:
    body = res.json
    body["error"].pop("request_id")
    return body


def login(client, login_name, password=PASSWORD, status=200, headers=None):
    return client.post_json("/auth/login", {"login": login_name, "password": password},
                            status=status, headers=headers or {})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class CountingHasher:
    """Wraps janus.passwords' argon2 hasher and counts verify() calls."""

    def __init__(self, inner):
        self.inner, self.verified = inner, []

    def verify(self, hash_, password):
        self.verified.append(hash_)
        return self.inner.verify(hash_, password)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def hasher_spy(client, monkeypatch):
    # After `client`: create_app() re-configures (replaces) the hasher.
    spy = CountingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", spy)
    return spy


# -- register ------------------------------------------------------------------
def test_register_creates_a_user_with_a_hashed_password(client):
    res = client.post_json("/auth/register", {"email": "New.Person@Example.COM",
                                              "username": "newbie", "password": PASSWORD},
                           status=201)
    assert res.content_type == "application/json"
    body = res.json
    assert body["email"] == "new.person@example.com"
    assert (body["username"], body["role"], body["admin_level"], body["is_active"]) == (
        "newbie", "user", None, True)
    assert body["last_login_at"] is None
    assert body["created_at"].endswith("Z")
    assert not {"password", "password_hash"} & set(body)
    row = User.get_by_id(body["id"])
    assert row.password_hash.startswith("$argon2") and PASSWORD not in row.password_hash
    assert passwords.verify_password(row.password_hash, PASSWORD)
    audit = Log.get(Log.action == "user.registered")
    assert audit.user_id == row.id
    assert PASSWORD not in str(audit.log_metadata)
    # The new account can log in at once.
    assert login(client, "newbie").json["user"]["id"] == row.id


def test_register_is_refused_when_turned_off(alice, make_config):
    closed = webtest.TestApp(create_app(make_config(JANUS_ALLOW_REGISTRATION="false")),
                             extra_environ={"REMOTE_ADDR": CLIENT_IP})
    res = closed.post_json("/auth/register", {"email": "new@example.com", "username": "new",
                                              "password": PASSWORD}, status=403)
    error_of(res, 403, "forbidden")
    assert User.select().count() == 1
    assert not Log.select().where(Log.action == "user.registered").exists()
    # Only self-service sign-up is off: existing accounts still log in.
    res = login(closed, "alice")
    assert res.json["user"]["id"] == alice.id


@pytest.mark.parametrize("email", ["alice@example.com", "ALICE@example.com",
                                   "Alice@Example.Com"])
def test_register_duplicate_email_is_a_conflict_whatever_the_case(client, alice, email):
    res = client.post_json("/auth/register", {"email": email, "username": "alice2",
                                              "password": PASSWORD}, status=409)
    error_of(res, 409, "conflict")
    assert User.select().count() == 1
    assert fresh(alice.user).username == "alice"


def test_register_duplicate_username_is_a_conflict(client, alice):
    res = client.post_json("/auth/register", {"email": "other@example.com", "username": "alice",
                                              "password": PASSWORD}, status=409)
    error_of(res, 409, "conflict")
    assert User.select().count() == 1


@pytest.mark.parametrize("body, path", [
    ({"email": "n@example.com", "username": "n", "password": "short"}, "$.password"),
    ({"email": "n@example.com", "username": "n", "password": ""}, "$.password"),
    ({"email": "n@example.com", "username": "n", "password": "x" * 1025}, "$.password"),
    ({"email": "n@example.com", "username": "n", "password": 12345678}, "$.password"),
    ({"email": "not-an-email", "username": "n", "password": PASSWORD}, "$.email"),
    ({"email": "@example.com", "username": "n", "password": PASSWORD}, "$.email"),
    ({"email": "n@example.com", "username": "bad name!", "password": PASSWORD}, "$.username"),
    ({"email": "n@example.com", "username": "", "password": PASSWORD}, "$.username"),
    ({"email": "n@example.com", "username": "u" * 65, "password": PASSWORD}, "$.username"),
    ({"email": "n@example.com", "username": "n"}, "$"),
    ({"email": "n@example.com", "username": "n", "password": PASSWORD, "role": "admin"},
     "$.role"),
])
def test_register_validation_errors_name_the_field(client, body, path):
    res = client.post_json("/auth/register", body, status=422)
    error = error_of(res, 422, "validation_error")
    assert [d["path"] for d in error["details"]] == [path]
    assert User.select().count() == 0


def test_register_needs_a_json_body(client):
    res = client.post("/auth/register", "email=a@b.c", status=415,
                      content_type="application/x-www-form-urlencoded")
    error_of(res, 415, "unsupported_media_type")
    res = client.post("/auth/register", "{not json", status=400,
                      content_type="application/json")
    error_of(res, 400, "bad_request")


# -- login ---------------------------------------------------------------------
@pytest.mark.parametrize("login_name", ["alice@example.com", "ALICE@Example.com", "alice",
                                        " alice "])
def test_login_by_email_or_username_returns_a_bearer_token(client, alice, login_name):
    before = utcnow()
    res = login(client, login_name)
    body = res.json
    assert body["token_type"] == "bearer"
    assert body["token"] and body["token"] != alice.token and len(body["token"]) >= 32
    assert body["user"]["id"] == alice.id and body["user"]["email"] == "alice@example.com"
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    ttl = expires.astimezone(UTC).replace(tzinfo=None) - before
    assert timedelta(days=6, hours=23) < ttl <= timedelta(days=7, seconds=5)
    assert fresh(alice.user).last_login_at >= before.replace(microsecond=0)
    me = client.get("/auth/me", headers=bearer(body["token"]), status=200)
    assert me.json["id"] == alice.id


def test_login_reports_the_admin_level(client, moderator):
    res = login(client, "mod")
    assert (res.json["user"]["role"], res.json["user"]["admin_level"]) == ("admin", "moderator")


def test_tokens_are_stored_only_as_their_sha256(client, alice, db):
    plain = login(client, "alice").json["token"]
    row = AuthToken.get(AuthToken.token_hash == hashlib.sha256(plain.encode()).hexdigest())
    assert row.user_id == alice.id
    # No column of any token row holds the plain token.
    cursor = db.execute_sql("SELECT * FROM auth_tokens")
    rows = cursor.fetchall()
    assert len(rows) == 2  # the fixture's token and this one
    assert not any(plain in str(value) for r in rows for value in r)
    assert not any(alice.token in str(value) for r in rows for value in r)


def test_login_writes_a_success_event(client, alice):
    login(client, "alice", headers=UA)
    event = SecurityEvent.get(SecurityEvent.action == "login_success")
    assert (event.user_id, event.account) == (alice.id, "alice@example.com")
    assert (event.ip, event.user_agent) == (CLIENT_IP, UA["User-Agent"])


@pytest.mark.parametrize("body, path", [
    ({"login": "alice"}, "$"),
    ({"password": PASSWORD}, "$"),
    ({"login": "", "password": PASSWORD}, "$.login"),
    ({"login": "alice", "password": 5}, "$.password"),
    ({"login": "alice", "password": PASSWORD, "remember": True}, "$.remember"),
])
def test_login_validation_errors(client, alice, body, path):
    res = client.post_json("/auth/login", body, status=422)
    error = error_of(res, 422, "validation_error")
    assert error["details"][0]["path"] == path
    assert AuthToken.select().count() == 1  # only the fixture's


# -- no user enumeration -------------------------------------------------------
@pytest.mark.parametrize("unknown", ["ghost@example.com", "ghost"])
def test_unknown_account_and_wrong_password_answer_alike(client, alice, hasher_spy, unknown):
    wrong = login(client, "alice", "not the password", status=401)
    assert len(hasher_spy.verified) == 1
    missing = login(client, unknown, "not the password", status=401)
    # Both paths ran exactly one argon2 verification.
    assert len(hasher_spy.verified) == 2
    # ... and against hashes of the same cost: the dummy hash of an unknown
    # account uses the parameters real hashes are made with.
    real, dummy = hasher_spy.verified
    assert dummy.startswith("$argon2") and dummy != real
    assert argon2.extract_parameters(dummy) == argon2.extract_parameters(real)
    error_of(wrong, 401, "unauthorized")
    assert without_request_id(wrong) == without_request_id(missing)
    assert wrong.headers.get("WWW-Authenticate") == missing.headers.get("WWW-Authenticate")
    assert AuthToken.select().count() == 1


def test_deactivated_user_cannot_log_in_and_looks_like_a_wrong_password(
        client, make_actor, hasher_spy):
    ghost = make_actor(active=False, name="sleeper")
    wrong = login(client, "sleeper", "not the password", status=401)
    inactive = login(client, "sleeper", PASSWORD, status=401)
    assert len(hasher_spy.verified) == 2
    error_of(inactive, 401, "unauthorized")
    assert without_request_id(wrong) == without_request_id(inactive)
    assert AuthToken.select().where(AuthToken.user == ghost.id).count() == 1  # fixture's only
    failed = SecurityEvent.select().where(SecurityEvent.action == "login_failed")
    assert [e.user_id for e in failed] == [ghost.id, ghost.id]


def test_deactivating_a_user_stops_their_tokens(client, alice):
    client.get("/auth/me", headers=alice.headers, status=200)
    User.update(is_active=False).where(User.id == alice.id).execute()
    res = client.get("/auth/me", headers=alice.headers, status=401)
    error_of(res, 401, "unauthorized")
    assert "WWW-Authenticate" in res.headers


# -- rehash on login -----------------------------------------------------------
def test_login_rehashes_a_password_hashed_with_other_parameters(client, alice):
    old = argon2.PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    User.update(password_hash=old).where(User.id == alice.id).execute()
    assert passwords.needs_rehash(old)
    login(client, "alice")
    new = fresh(alice.user).password_hash
    assert new != old and new.startswith("$argon2")
    assert not passwords.needs_rehash(new)
    assert passwords.verify_password(new, PASSWORD)
    event = SecurityEvent.get(SecurityEvent.action == "login_success")
    assert event.security_metadata.get("rehashed") is True
    # And the next login keeps the new hash as it is.
    login(client, "alice")
    assert fresh(alice.user).password_hash == new


def test_login_keeps_a_current_hash(client, alice):
    before = fresh(alice.user).password_hash
    login(client, "alice")
    assert fresh(alice.user).password_hash == before
    assert "rehashed" not in SecurityEvent.get(SecurityEvent.action == "login_success") \
        .security_metadata


def test_failed_login_never_rehashes(client, alice):
    old = argon2.PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    User.update(password_hash=old).where(User.id == alice.id).execute()
    login(client, "alice", "wrong password", status=401)
    assert fresh(alice.user).password_hash == old


# -- tokens: expiry, revocation, logout -----------------------------------------
def test_expired_token_is_refused(client, alice):
    client.get("/auth/me", headers=alice.headers, status=200)
    AuthToken.update(expires_at=utcnow() - timedelta(seconds=1)) \
        .where(AuthToken.user == alice.id).execute()
    res = client.get("/auth/me", headers=alice.headers, status=401)
    error_of(res, 401, "unauthorized")
    assert res.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_refused(client, alice):
    AuthToken.update(revoked_at=utcnow()).where(AuthToken.user == alice.id).execute()
    res = client.get("/auth/me", headers=alice.headers, status=401)
    error_of(res, 401, "unauthorized")


def test_logout_revokes_only_the_token_it_was_sent_with(client, alice):
    other = login(client, "alice").json["token"]
    res = client.post("/auth/logout", headers={**alice.headers, **UA}, status=204)
    assert res.body == b""
    error_of(client.get("/auth/me", headers=alice.headers, status=401), 401, "unauthorized")
    error_of(client.post("/auth/logout", headers=alice.headers, status=401), 401,
             "unauthorized")
    assert client.get("/auth/me", headers=bearer(other), status=200).json["id"] == alice.id
    revoked = AuthToken.get(AuthToken.token_hash == hashlib.sha256(
        alice.token.encode()).hexdigest())
    assert revoked.revoked_at is not None
    event = SecurityEvent.get(SecurityEvent.action == "logout")
    assert (event.user_id, event.ip, event.user_agent) == (alice.id, CLIENT_IP,
                                                          UA["User-Agent"])


def test_me_returns_the_authenticated_user(client, alice, superadmin):
    assert client.get("/auth/me", headers=alice.headers, status=200).json["username"] == "alice"
    body = client.get("/auth/me", headers=superadmin.headers, status=200).json
    assert (body["id"], body["role"], body["admin_level"]) == (superadmin.id, "admin",
                                                              "superadmin")


# -- password change -----------------------------------------------------------
def test_password_change_revokes_other_tokens_and_keeps_this_one(client, alice, bob):
    current = login(client, "alice").json["token"]
    third = login(client, "alice").json["token"]
    res = client.post_json("/auth/password", {"current_password": PASSWORD,
                                              "new_password": NEW_PASSWORD},
                           headers={**bearer(current), **UA}, status=200)
    assert res.json == {"revoked_tokens": 2}
    assert client.get("/auth/me", headers=bearer(current), status=200).json["id"] == alice.id
    for token in (alice.token, third):
        error_of(client.get("/auth/me", headers=bearer(token), status=401), 401,
                 "unauthorized")
    # Other users' tokens are untouched.
    client.get("/auth/me", headers=bob.headers, status=200)
    login(client, "alice", PASSWORD, status=401)
    login(client, "alice", NEW_PASSWORD, status=200)
    assert passwords.verify_password(fresh(alice.user).password_hash, NEW_PASSWORD)
    audit = Log.get(Log.action == "user.password_changed")
    assert audit.user_id == alice.id
    assert PASSWORD not in str(audit.log_metadata) and NEW_PASSWORD not in str(
        audit.log_metadata)
    event = SecurityEvent.get(SecurityEvent.action == "password_changed")
    assert (event.user_id, event.ip, event.user_agent) == (alice.id, CLIENT_IP,
                                                          UA["User-Agent"])
    assert event.security_metadata["revoked_tokens"] == 2


def test_password_change_with_a_wrong_current_password_changes_nothing(client, alice):
    other = login(client, "alice").json["token"]
    before = fresh(alice.user).password_hash
    res = client.post_json("/auth/password", {"current_password": "not the password",
                                              "new_password": NEW_PASSWORD},
                           headers=alice.headers, status=422)
    error = error_of(res, 422, "validation_error")
    assert [d["path"] for d in error["details"]] == ["$.current_password"]
    assert fresh(alice.user).password_hash == before
    client.get("/auth/me", headers=bearer(other), status=200)
    client.get("/auth/me", headers=alice.headers, status=200)
    assert AuthToken.select().where(AuthToken.revoked_at.is_null(False)).count() == 0
    assert not Log.select().where(Log.action == "user.password_changed").exists()
    login(client, "alice", PASSWORD, status=200)


@pytest.mark.parametrize("new_password", ["short", PASSWORD])
def test_password_change_refuses_a_weak_or_unchanged_password(client, alice, new_password):
    before = fresh(alice.user).password_hash
    res = client.post_json("/auth/password", {"current_password": PASSWORD,
                                              "new_password": new_password},
                           headers=alice.headers, status=422)
    error = error_of(res, 422, "validation_error")
    assert [d["path"] for d in error["details"]] == ["$.new_password"]
    assert fresh(alice.user).password_hash == before
