"""Known addresses: guessing spread over many addresses locks the account
for every address but those the owner logged in from lately, as the
client's own address. Through both doors (POST /auth/login and the
console's sign-in form, one login service), with the default limits: 5 per
(account, address), 20 per account, a 15-minute window, 30 days."""
from __future__ import annotations

from datetime import timedelta

import pytest
import webtest

from janus.models import SecurityEvent
from janus.services import lockout
from janus.web.app import create_app
from tests.api.helpers import PASSWORD
from tests.console.helpers import sign_in

HOME, NEW = "198.51.100.20", "203.0.113.50"
ATTACKERS = ("192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14")
WRONG = "not the password"
# What each door answers, by outcome.
OUTCOMES = {"api": {200: "in", 401: "refused", 429: "locked"},
            "console": {303: "in", 401: "refused", 429: "locked"}}


@pytest.fixture(params=["api", "console"])
def door(request, db, make_config, superadmin):
    """door(ip, password, forwarded_for=None, **env) -> "in" | "refused" |
    "locked": one login as the superadmin from ``ip`` (the peer address),
    through the API or the console, on one app per configuration."""
    apps = {}

    def attempt(ip: str, password: str, forwarded_for: str | None = None, **env) -> str:
        key = tuple(sorted(env.items()))
        if key not in apps:
            apps[key] = create_app(make_config(**env))
        environ = {"REMOTE_ADDR": ip}
        if forwarded_for is not None:
            environ["HTTP_X_FORWARDED_FOR"] = forwarded_for
        name = superadmin.user.username
        if request.param == "api":
            res = webtest.TestApp(apps[key], extra_environ=environ).post_json(
                "/auth/login", {"login": name, "password": password}, status="*")
        else:
            _, res = sign_in(apps[key], name, password, **environ)
        outcome = OUTCOMES[request.param].get(res.status_int)
        assert outcome, res.text
        return outcome
    return attempt


def attack(door, **env) -> None:
    """The reported attack: five wrong passwords from each of 4 addresses."""
    for ip in ATTACKERS:
        assert [door(ip, WRONG, **env) for _ in range(5)] == ["refused"] * 5


def rows(action: str) -> list[SecurityEvent]:
    return list(SecurityEvent.select().where(SecurityEvent.action == action)
                .order_by(SecurityEvent.id))


def test_four_addresses_lock_out_everyone_but_the_owner_at_a_known_address(door):
    assert door(HOME, PASSWORD) == "in"
    attack(door)
    # The attackers, and the owner at a new address, meet the account's lock.
    assert [door(ip, PASSWORD) for ip in (*ATTACKERS, NEW)] == ["locked"] * 5
    assert rows("login_locked")[-1].security_metadata["scope"] == "account"
    # The owner at home gets in, and the row says why.
    assert door(HOME, PASSWORD) == "in"
    last = rows("login_success")[-1]
    assert last.ip == HOME
    assert last.security_metadata["own_address"] is True
    assert last.security_metadata["known_address"] is True
    # Nothing reopened: the others are still locked out.
    assert door(NEW, PASSWORD) == "locked"


def test_a_known_address_still_meets_its_own_limit(door):
    assert door(HOME, PASSWORD) == "in"
    attack(door)
    # Past the account's lock, one address's failures are its own to count.
    assert [door(HOME, WRONG) for _ in range(5)] == ["refused"] * 5
    assert door(HOME, PASSWORD) == "locked"
    assert rows("login_locked")[-1].security_metadata["scope"] == "address"
    # Its failures while the account was locked locked nothing new for it.
    assert [row.security_metadata["scope"] for row in rows("lockout")] == ["address"] * 5


def test_the_first_failure_of_a_known_address_is_marked(door):
    assert door(HOME, PASSWORD) == "in"
    attack(door)
    assert door(HOME, WRONG) == "refused"
    assert rows("login_failed")[-1].security_metadata.get("known_address") is True
    assert "known_address" not in rows("login_failed")[0].security_metadata


def test_a_known_address_reached_through_an_untrusted_proxy_does_not_count(door):
    """The owner's address is known; a request from it that carries
    X-Forwarded-For comes from a proxy nobody listed, shared by all behind it."""
    assert door(HOME, PASSWORD) == "in"
    attack(door)
    assert door(HOME, PASSWORD, forwarded_for="203.0.113.9") == "locked"
    assert door(HOME, PASSWORD) == "in"


def test_logins_through_an_untrusted_proxy_make_no_address_known(door):
    proxy = "198.51.100.99"
    assert door(proxy, PASSWORD, forwarded_for=HOME) == "in"
    success = rows("login_success")[-1]
    assert (success.ip, success.security_metadata["own_address"]) == (proxy, False)
    attack(door)
    assert door(proxy, PASSWORD, forwarded_for=HOME) == "locked"
    assert door(proxy, PASSWORD) == "locked"  # the proxy's own host is not known either


@pytest.mark.parametrize("proxies, proxy, other_proxy, home", [
    ("10.0.0.0/8", "10.1.2.3", "10.200.0.1", HOME),                    # IPv4 network
    ("fd00::/8, 192.0.2.250", "fd00::7", "192.0.2.250", "2001:db8::20"),  # IPv6, and exact
    ("10.0.0.0/8", "::ffff:10.1.2.3", "::ffff:10.9.9.9", HOME),        # IPv4-mapped peers
], ids=["ipv4-network", "ipv6-network", "ipv4-mapped"])
def test_a_known_address_behind_trusted_proxies(door, proxies, proxy, other_proxy, home):
    env = {"JANUS_TRUSTED_PROXIES": proxies}
    assert door(proxy, PASSWORD, forwarded_for=home, **env) == "in"
    assert rows("login_success")[-1].ip == home
    for ip in ATTACKERS:  # each through the proxy, the address its own
        assert [door(proxy, WRONG, forwarded_for=ip, **env) for _ in range(5)] == \
            ["refused"] * 5
    assert {row.ip for row in rows("lockout")} == set(ATTACKERS)
    assert door(other_proxy, PASSWORD, forwarded_for=NEW, **env) == "locked"
    assert door(other_proxy, PASSWORD, forwarded_for=home, **env) == "in"
    # A trusted proxy's own address is shared by whoever it serves: never known.
    assert door(proxy, PASSWORD, **env) == "locked"


def age_successes(days: float) -> None:
    for row in SecurityEvent.select().where(SecurityEvent.action == "login_success"):
        SecurityEvent.update(timestamp=row.timestamp - timedelta(days=days)) \
            .where(SecurityEvent.id == row.id).execute()


@pytest.mark.parametrize("env, age_days, outcome", [
    ({}, 29.9, "in"),
    ({}, 30.1, "locked"),                               # known for 30 days by default
    ({"JANUS_KNOWN_ADDRESS_DAYS": "2"}, 1.9, "in"),
    ({"JANUS_KNOWN_ADDRESS_DAYS": "2"}, 2.1, "locked"),
    ({"JANUS_KNOWN_ADDRESS_DAYS": "0"}, 0, "locked"),   # 0: no address is known
])
def test_an_address_stays_known_for_the_configured_days(door, env, age_days, outcome):
    assert door(HOME, PASSWORD, **env) == "in"
    age_successes(age_days)
    attack(door, **env)
    assert door(HOME, PASSWORD, **env) == outcome


def test_logins_recorded_before_the_address_was_judged_make_no_address_known(door):
    """A login_success row without ``own_address`` (an earlier release's)
    cannot tell a client's address from its proxy's."""
    assert door(HOME, PASSWORD) == "in"
    SecurityEvent.update(security_metadata={}).execute()
    attack(door)
    assert door(HOME, PASSWORD) == "locked"


def test_known_addresses_are_looked_for_among_the_newest_logins(door, monkeypatch):
    """The look-up is bounded (a refused attempt stays cheap however often
    the account logs in): here to the 2 newest logins instead of 1,000."""
    monkeypatch.setattr(lockout, "KNOWN_LOGINS_READ", 2)
    for ip in (HOME, "198.51.100.30", "198.51.100.31"):
        assert door(ip, PASSWORD) == "in"
    attack(door)
    assert door(HOME, PASSWORD) == "locked"  # the third newest
    assert door("198.51.100.30", PASSWORD) == "in"
