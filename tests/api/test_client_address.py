"""The client's address behind reverse proxies (JANUS_TRUSTED_PROXIES:
addresses and networks, IPv4 and IPv6), and whether it is the client's own
(only such an address can become a known one: test_known_addresses.py).
Read from what a login records: the row's address, and ``own_address``."""
from __future__ import annotations

import pytest
import webtest

from janus.models import SecurityEvent
from janus.web.app import create_app
from tests.api.helpers import PASSWORD

CLIENT = "203.0.113.9"


@pytest.mark.parametrize("trusted, peer, forwarded, recorded, own", [
    # No proxy in front: the peer is the client.
    ("", "198.51.100.7", None, "198.51.100.7", True),
    ("", "2001:db8::7", None, "2001:db8::7", True),
    # An untrusted peer sending X-Forwarded-For: a proxy nobody listed (its
    # clients share its address) or a client making it up. Not believed.
    ("", "198.51.100.7", CLIENT, "198.51.100.7", False),
    ("10.0.0.0/8", "198.51.100.7", CLIENT, "198.51.100.7", False),
    # A trusted proxy, listed exactly or by its network.
    ("10.0.0.2", "10.0.0.2", CLIENT, CLIENT, True),
    ("10.0.0.0/8", "10.20.30.40", CLIENT, CLIENT, True),
    ("10.0.0.0/8", "10.20.30.40", f"6.6.6.6, {CLIENT}", CLIENT, True),  # forged hop skipped
    ("10.0.0.0/8", "10.0.0.1", f"{CLIENT}, 10.0.0.2", CLIENT, True),     # two proxies
    ("10.0.0.0/8, fd00::/8", "fd00::1:2", f"{CLIENT}, 10.9.9.9", CLIENT, True),
    ("fd00::/8", "fd00::1:2", "2001:db8::5", "2001:db8::5", True),
    ("2001:db8:0:0::/64", "2001:db8::99", CLIENT, CLIENT, True),           # non-canonical entry
    # IPv4-mapped peers (a dual-stack listener) match IPv4 entries.
    ("10.0.0.2", "::ffff:10.0.0.2", CLIENT, CLIENT, True),
    ("10.0.0.0/8", "::ffff:10.1.1.1", CLIENT, CLIENT, True),
    # A trusted proxy's own address is everyone's behind it: never the client's own.
    ("10.0.0.0/8", "10.0.0.1", None, "10.0.0.1", False),
    ("10.0.0.0/8", "10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3", False),
    ("10.0.0.0/8", "10.0.0.1", " , ", "10.0.0.1", False),
    # What a proxy reports is taken as given, but only an address can be known.
    ("10.0.0.0/8", "10.0.0.1", "unknown", "unknown", True),
])
def test_the_client_address_and_whether_it_is_its_own(db, make_config, alice, trusted, peer,
                                                      forwarded, recorded, own):
    app = create_app(make_config(JANUS_TRUSTED_PROXIES=trusted))
    environ = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    res = webtest.TestApp(app, extra_environ=environ).post_json(
        "/auth/login", {"login": "alice", "password": PASSWORD})
    assert res.status_int == 200
    (row,) = SecurityEvent.select().where(SecurityEvent.action == "login_success")
    assert row.ip == recorded
    assert row.security_metadata.get("own_address") is own


@pytest.mark.parametrize("allow, peer, status", [
    ("10.0.0.0/8", "::ffff:10.1.2.3", 200),
    ("::/0", "::ffff:10.1.2.3", 200),
    ("192.0.2.1", "::ffff:192.0.2.1", 200),
    ("192.0.2.1", "192.0.2.2", 404),
    ("2001:db8::/32", "2001:db8::1", 200),
])
def test_metrics_allow_matches_networks_and_mapped_peers(db, make_config, allow, peer, status):
    app = create_app(make_config(JANUS_METRICS_ALLOW=allow))
    res = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": peer}).get("/metrics", status="*")
    assert res.status_int == status
