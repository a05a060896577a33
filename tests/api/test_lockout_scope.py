"""Lockout by account and address: one address guessing locks only itself
out of the account; many addresses together lock the account."""
from __future__ import annotations

from datetime import timedelta

import pytest
import webtest

from janus.models import SecurityEvent
from janus.web.app import create_app
from tests.api.helpers import PASSWORD, assert_error

ATTACKER, OWNER = "192.0.2.66", "198.51.100.20"
WRONG = "not the password"


@pytest.fixture
def clients(db, make_config):
    """clients(**env) -> a function giving a WebTest client per address, one app."""
    def make(**env):
        app = create_app(make_config(**env))
        return lambda ip: webtest.TestApp(app, extra_environ={"REMOTE_ADDR": ip})
    return make


def login(client, password=PASSWORD, name="alice"):
    return client.post_json("/auth/login", {"login": name, "password": password}, status="*")


def fail(client, times: int, name="alice"):
    for _ in range(times):
        assert login(client, WRONG, name).status_int == 401


def events(action: str) -> list[SecurityEvent]:
    return list(SecurityEvent.select().where(SecurityEvent.action == action)
                .order_by(SecurityEvent.id))


def test_an_address_guessing_locks_itself_out_not_the_owner(clients, alice):
    client = clients()
    fail(client(ATTACKER), 5)
    res = login(client(ATTACKER))  # even the right password, from there
    assert_error(res, 429, "too_many_requests")
    # The owner, from their own address, is not affected.
    assert login(client(OWNER)).json["user"]["id"] == alice.id
    (lockout,) = events("lockout")
    assert (lockout.ip, lockout.security_metadata["scope"]) == (ATTACKER, "address")
    (locked,) = events("login_locked")
    assert (locked.ip, locked.security_metadata["scope"]) == (ATTACKER, "address")
    # The owner's success does not unlock the attacker's address.
    assert_error(login(client(ATTACKER)), 429, "too_many_requests")


def test_many_addresses_together_lock_the_account(clients, alice):
    client = clients(JANUS_LOCKOUT_THRESHOLD=5, JANUS_LOCKOUT_ACCOUNT_THRESHOLD=8)
    for n in range(8):
        fail(client(f"192.0.2.{n + 1}"), 1)
    # Now locked for every address, the owner's included, and unknown ones too.
    for ip in (OWNER, "192.0.2.1", "192.0.2.200"):
        res = login(client(ip))
        assert_error(res, 429, "too_many_requests")
        assert 0 < int(res.headers["Retry-After"]) <= 900
    (lockout,) = events("lockout")
    assert lockout.security_metadata["scope"] == "account"
    assert {e.security_metadata["scope"] for e in events("login_locked")} == {"account"}
    assert len(events("login_failed")) == 8


def test_unknown_accounts_have_the_same_account_limit(clients):
    client = clients(JANUS_LOCKOUT_ACCOUNT_THRESHOLD=3)
    for n in range(3):
        fail(client(f"192.0.2.{n + 1}"), 1, name="ghost@example.com")
    assert_error(login(client(OWNER), name="ghost@example.com"), 429, "too_many_requests")
    assert events("lockout")[0].security_metadata["scope"] == "account"


def test_a_success_resets_the_address_count_but_not_the_account_count(clients, alice):
    client = clients(JANUS_LOCKOUT_THRESHOLD=4, JANUS_LOCKOUT_ACCOUNT_THRESHOLD=6)
    fail(client(OWNER), 3)
    assert login(client(OWNER)).status_int == 200
    fail(client(OWNER), 3)  # 3 since the success: the address is open ...
    # ... but 6 against the account in the window: it is locked, for every
    # address but the one the owner just logged in from (a known address).
    assert_error(login(client(ATTACKER)), 429, "too_many_requests")
    assert events("login_locked")[0].security_metadata["scope"] == "account"
    assert login(client(OWNER)).status_int == 200


def age(seconds: int) -> None:
    """Move every security row ``seconds`` into the past."""
    for row in SecurityEvent.select():
        SecurityEvent.update(timestamp=row.timestamp - timedelta(seconds=seconds)) \
            .where(SecurityEvent.id == row.id).execute()


def test_retry_after_is_the_later_of_both_locks(clients, alice):
    client = clients(JANUS_LOCKOUT_THRESHOLD=2, JANUS_LOCKOUT_ACCOUNT_THRESHOLD=3)
    fail(client(OWNER), 1)
    age(50)
    fail(client(ATTACKER), 1)
    age(800)  # the owner's failure 850 s ago, the attacker's first 800 s ago
    fail(client(ATTACKER), 1)
    # The attacker's address: its 2 newest, the oldest 800 s back: ~100 s
    # (the account's 3 newest, the oldest 850 s back, would end in ~50 s).
    res = login(client(ATTACKER))
    assert_error(res, 429, "too_many_requests")
    assert 95 <= int(res.headers["Retry-After"]) <= 102
    # The owner's address is not locked, the account is, for ~50 s more.
    res = login(client(OWNER))
    assert_error(res, 429, "too_many_requests")
    assert 45 <= int(res.headers["Retry-After"]) <= 52
    assert [e.security_metadata["scope"] for e in events("login_locked")] == [
        "address", "account"]


def test_the_right_password_on_a_deactivated_account_is_a_failure(clients, make_actor):
    make_actor(active=False, name="sleepy")
    res = login(clients()(OWNER), name="sleepy")
    assert_error(res, 401, "unauthorized")
    (failed,) = events("login_failed")
    assert failed.security_metadata == {"reason": "inactive"}
    assert not events("login_success")


def test_a_success_leaves_one_row_the_attempt_turned_into_login_success(clients, alice):
    login(clients()(OWNER))
    rows = list(SecurityEvent.select())
    assert [(row.action, row.ip) for row in rows] == [("login_success", OWNER)]
    assert rows[0].security_metadata == {"own_address": True}
