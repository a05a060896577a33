"""Login lockout and the security rows authentication events write.

The window is never waited out: the stored failures are moved back in the
database instead, so the tests are exact and fast.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import webtest

from janus.models import SecurityEvent
from janus.web.app import create_app
from tests.api.helpers import CLIENT_IP, PASSWORD

UA = "janus-tests/lockout 1.0"
WRONG = "not the password"
WINDOW = 15 * 60


def login(client, login_name, password=PASSWORD, status=200, user_agent=UA):
    return client.post_json("/auth/login", {"login": login_name, "password": password},
                            status=status, headers={"User-Agent": user_agent})


def fail(client, login_name, times: int):
    for _ in range(times):
        res = login(client, login_name, WRONG, status=401)
        assert res.json["error"]["code"] == "unauthorized"


def assert_locked(res, window: int = WINDOW) -> int:
    """A 429 with the contract's error body and an integer Retry-After."""
    assert res.status_int == 429
    assert res.content_type == "application/json"
    error = res.json["error"]
    assert error["code"] == "too_many_requests"
    assert error["message"] and error["request_id"]
    retry_after = res.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 0 < int(retry_after) <= window
    return int(retry_after)


def actions(account: str) -> list[str]:
    query = (SecurityEvent.select().where(SecurityEvent.account == account)
             .order_by(SecurityEvent.id))
    return [event.action for event in query]


def age_events(account: str, seconds: float, action: str | None = None) -> None:
    """Move ``account``'s security rows ``seconds`` into the past."""
    query = SecurityEvent.select().where(SecurityEvent.account == account)
    if action:
        query = query.where(SecurityEvent.action == action)
    for event in query:
        SecurityEvent.update(timestamp=event.timestamp - timedelta(seconds=seconds)) \
            .where(SecurityEvent.id == event.id).execute()


@pytest.fixture
def make_client(db, make_config):
    def make(**env):
        return webtest.TestApp(create_app(make_config(**env)),
                               extra_environ={"REMOTE_ADDR": CLIENT_IP})
    return make


# -- the lockout ---------------------------------------------------------------
def test_five_failures_lock_the_account_even_for_the_right_password(client, alice):
    fail(client, "alice@example.com", 5)
    res = login(client, "alice@example.com", PASSWORD, status=429)
    assert_locked(res)
    assert "token" not in res.json
    # Still locked for a wrong password, and by username too.
    assert_locked(login(client, "alice", WRONG, status=429))
    assert actions("alice@example.com") == ["login_failed"] * 5 + ["lockout"] + [
        "login_locked"] * 2
    events = list(SecurityEvent.select())
    assert {(e.user_id, e.ip, e.user_agent) for e in events} == {(alice.id, CLIENT_IP, UA)}
    locked = SecurityEvent.get(SecurityEvent.action == "login_locked")
    assert 0 < locked.security_metadata["retry_after"] <= WINDOW
    # The existing token is not affected: lockout guards logins only.
    assert client.get("/auth/me", headers=alice.headers, status=200).json["id"] == alice.id


def test_four_failures_do_not_lock(client, alice):
    fail(client, "alice", 4)
    assert login(client, "alice").json["user"]["id"] == alice.id
    assert "lockout" not in actions("alice@example.com")


def test_failures_by_email_and_by_username_count_for_one_account(client, alice):
    for name in ("alice@example.com", "alice", "ALICE@example.com", "alice", " alice "):
        fail(client, name, 1)
    assert_locked(login(client, "alice", status=429))
    assert actions("alice@example.com").count("login_failed") == 5


def test_the_lock_is_per_account(client, alice, bob):
    fail(client, "alice", 5)
    assert_locked(login(client, "alice", status=429))
    assert login(client, "bob").json["user"]["id"] == bob.id


def test_unknown_accounts_lock_out_the_same_way(client, alice):
    known, unknown = [], []
    for name, out in (("alice@example.com", known), ("ghost@example.com", unknown)):
        for _ in range(5):
            out.append(login(client, name, WRONG, status=401))
        out.append(login(client, name, WRONG, status=429))
    for a, b in zip(known, unknown, strict=True):
        assert a.status_int == b.status_int
        body_a, body_b = a.json, b.json
        body_a["error"].pop("request_id"), body_b["error"].pop("request_id")
        assert body_a == body_b
    assert_locked(unknown[-1])
    assert abs(int(known[-1].headers["Retry-After"]) -
               int(unknown[-1].headers["Retry-After"])) <= 2
    assert actions("ghost@example.com") == ["login_failed"] * 5 + ["lockout", "login_locked"]
    ghost_events = SecurityEvent.select().where(SecurityEvent.account == "ghost@example.com")
    assert {e.user_id for e in ghost_events} == {None}


def test_the_lock_ends_when_the_window_passes(client, alice):
    fail(client, "alice", 5)
    assert_locked(login(client, "alice", status=429))
    # Two thirds of the window later: still locked, and Retry-After says ~5 minutes.
    age_events("alice@example.com", 600)
    retry_after = assert_locked(login(client, "alice", status=429))
    assert retry_after <= WINDOW - 600 + 2
    # Past the window (the login_locked rows are recent: they do not count).
    age_events("alice@example.com", WINDOW - 600 + 1, action="login_failed")
    res = login(client, "alice", status=200)
    assert res.json["user"]["id"] == alice.id
    assert actions("alice@example.com")[-1] == "login_success"


def test_only_failures_inside_the_window_count(client, alice):
    fail(client, "alice", 4)
    age_events("alice@example.com", WINDOW + 1)
    fail(client, "alice", 4)  # 8 in all, 4 inside the window
    assert login(client, "alice").json["user"]["id"] == alice.id


def test_retry_after_counts_from_the_oldest_failure_that_locks(client, alice):
    fail(client, "alice", 1)
    age_events("alice@example.com", 800)  # 100 s left for this one
    fail(client, "alice", 4)
    retry_after = assert_locked(login(client, "alice", status=429))
    assert retry_after <= 102


def test_threshold_and_window_come_from_the_config(make_client, alice):
    client = make_client(JANUS_LOCKOUT_THRESHOLD=3, JANUS_LOCKOUT_WINDOW_SECONDS=60)
    fail(client, "alice", 3)
    retry_after = assert_locked(login(client, "alice", status=429), window=60)
    assert retry_after > 0
    assert actions("alice@example.com") == ["login_failed"] * 3 + ["lockout", "login_locked"]
    assert SecurityEvent.get(SecurityEvent.action == "lockout") \
        .security_metadata["window_seconds"] == 60
    # A 60 s window: 61 s later the account is open again.
    age_events("alice@example.com", 61)
    assert login(client, "alice").json["user"]["id"] == alice.id


def test_a_higher_threshold_allows_more_attempts(make_client, alice):
    client = make_client(JANUS_LOCKOUT_THRESHOLD=8)
    fail(client, "alice", 7)
    assert login(client, "alice").json["user"]["id"] == alice.id


# -- every authentication event writes a security row ----------------------------
def _login_success(client, actors):
    login(client, "alice")


def _login_failed(client, actors):
    login(client, "alice", WRONG, status=401)


def _lockout(client, actors):
    fail(client, "alice", 5)
    login(client, "alice", status=429)


def _logout(client, actors):
    client.post("/auth/logout", headers={**actors["alice"].headers, "User-Agent": UA},
                status=204)


def _password(client, actors):
    client.post_json("/auth/password", {"current_password": PASSWORD,
                                        "new_password": "another fine passphrase"},
                     headers={**actors["alice"].headers, "User-Agent": UA}, status=200)


def _password_failed(client, actors):
    client.post_json("/auth/password", {"current_password": WRONG,
                                        "new_password": "another fine passphrase"},
                     headers={**actors["alice"].headers, "User-Agent": UA}, status=422)


def _grant(client, actors):
    client.post_json("/admins", {"user_id": actors["alice"].id},
                     headers={**actors["root"].headers, "User-Agent": UA}, status=201)


def _revoke(client, actors):
    _grant(client, actors)
    admin_id = client.get("/admins", {"admin_level": "moderator"},
                          headers=actors["root"].headers).json["items"][0]["id"]
    client.delete(f"/admins/{admin_id}", headers={**actors["root"].headers,
                                                   "User-Agent": UA}, status=204)


@pytest.mark.parametrize("do, expected", [
    (_login_success, ["login_success"]),
    (_login_failed, ["login_failed"]),
    (_lockout, ["login_failed", "lockout", "login_locked"]),
    (_logout, ["logout"]),
    (_password, ["password_changed"]),
    (_password_failed, ["password_change_failed"]),
    (_grant, ["admin_granted"]),
    (_revoke, ["admin_granted", "admin_revoked"]),
], ids=lambda value: value.__name__.strip("_") if callable(value) else None)
def test_authentication_events_record_ip_and_user_agent(client, alice, superadmin, do,
                                                       expected):
    do(client, {"alice": alice, "root": superadmin})
    events = list(SecurityEvent.select().order_by(SecurityEvent.id))
    assert sorted(set(e.action for e in events)) == sorted(expected)
    for event in events:
        assert (event.ip, event.user_agent) == (CLIENT_IP, UA), event.action
        assert event.user_id == alice.id, event.action
        assert event.account == "alice@example.com"
        assert event.timestamp is not None


def test_a_successful_login_clears_earlier_failures(client, alice):
    fail(client, "alice@example.com", 4)
    login(client, "alice@example.com")  # success: the count starts again
    fail(client, "alice@example.com", 4)
    token = login(client, "alice", PASSWORD).json["token"]
    assert token
    fail(client, "alice", 5)
    assert_locked(login(client, "alice@example.com", PASSWORD, status=429))
