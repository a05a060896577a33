"""Issue 15, items 1 and 2: what a client reports is labelled and never acts.

A moderator may post any security event (a gateway reporting what it saw),
and any user any audit row; neither may lock out, unlock or pass for the
service's own record. The attacks as the issue wrote them, over HTTP.
"""
from __future__ import annotations

import pytest

from tests.api.helpers import CLIENT_IP, PASSWORD, call

WRONG = "not the password"


def login(client, account: str, password: str, ip: str = CLIENT_IP):
    return client.post_json("/auth/login", {"login": account, "password": password},
                            extra_environ={"REMOTE_ADDR": ip}, status="*")


def report(client, moderator, action: str, account: str, ip: str | None = None):
    res = call(client, "POST", "/security-events", moderator,
               {"action": action, "account": account, **({"ip": ip} if ip else {})})
    assert res.status_int == 201, res.text
    assert res.json["source"] == "client"
    assert res.json["reported_by"] == moderator.id
    return res.json


@pytest.mark.parametrize("addresses", ["varying", "the owner's own"])
def test_forged_failures_do_not_lock_the_superadmin_out(client, moderator, superadmin,
                                                        addresses):
    email = superadmin.user.email
    for n in range(20):
        ip = f"198.51.100.{n + 10}" if addresses == "varying" else CLIENT_IP
        report(client, moderator, "login_failed", email, ip)
    res = login(client, email, PASSWORD)
    assert res.status_int == 200, res.text
    # Nor does the console list a lockout for it.
    events = call(client, "GET", "/security-events", superadmin,
                  params={"account": email, "source": "client", "limit": 100}).json["items"]
    assert len(events) == 20 and {e["action"] for e in events} == {"login_failed"}


def _lock(client, email: str, scope: str) -> str:
    """Real failures that lock ``email`` (for one address, or for every
    address); returns an address the lock refuses."""
    if scope == "address":
        for _ in range(5):
            assert login(client, email, WRONG).status_int == 401
        return CLIENT_IP
    for n in range(20):  # 4 from each of 5 addresses: under the address limit
        assert login(client, email, WRONG, ip=f"203.0.113.{n // 4 + 1}").status_int == 401
    return "203.0.113.200"


@pytest.mark.parametrize("scope", ["address", "account"])
def test_a_forged_clear_does_not_unlock(client, moderator, superadmin, scope):
    email = superadmin.user.email
    refused = _lock(client, email, scope)
    assert login(client, email, PASSWORD, ip=refused).status_int == 429
    report(client, moderator, "lockout_cleared", email, refused)
    assert login(client, email, PASSWORD, ip=refused).status_int == 429


@pytest.mark.parametrize("spread", ["one address", "many addresses"])
def test_forged_clears_between_guesses_do_not_let_guesses_through(client, moderator,
                                                                   superadmin, spread):
    """A fake clear after every 4 guesses, 40 guesses: only the threshold of
    them are ever verified (401); the rest meet the lock (429)."""
    email = superadmin.user.email
    threshold = 5 if spread == "one address" else 20
    answers = []
    for n in range(40):
        ip = CLIENT_IP if spread == "one address" else f"192.0.2.{n // 4 + 1}"
        answers.append(login(client, email, WRONG, ip=ip).status_int)
        if n % 4 == 3:
            report(client, moderator, "lockout_cleared", email, ip)
    assert answers == [401] * threshold + [429] * (40 - threshold)


def test_a_reported_success_does_not_reset_the_address_count(client, moderator, superadmin):
    email = superadmin.user.email
    for _ in range(5):
        assert login(client, email, WRONG).status_int == 401
        report(client, moderator, "login_success", email, CLIENT_IP)
    assert login(client, email, PASSWORD).status_int == 429


def test_a_forged_grant_is_labelled_client(client, alice, superadmin, bob):
    """``eve`` (alice here) posts a row shaped like the service's grant."""
    forged = {"action": "admin.granted", "module": "admins",
              "log_metadata": {"object_type": "admin", "object_id": 1,
                               "changes": {"admin_level": [None, "superadmin"]}}}
    res = call(client, "POST", "/logs", alice, forged)
    assert res.status_int == 201
    assert res.json["source"] == "client"
    forged_id = res.json["id"]
    grant = call(client, "POST", "/admins", superadmin,
                 {"user_id": bob.id, "admin_level": "moderator"})
    assert grant.status_int == 201, grant.text
    rows = call(client, "GET", "/logs", superadmin,
                params={"action": "admin.granted", "limit": 100}).json["items"]
    assert {row["id"]: row["source"] for row in rows}[forged_id] == "client"
    assert [row["source"] for row in rows if row["id"] != forged_id] == ["service"]
    assert call(client, "GET", f"/logs/{forged_id}", alice).json["source"] == "client"
    for source, expected in (("client", {forged_id}), ("service", set())):
        listed = call(client, "GET", "/logs", superadmin,
                      params={"action": "admin.granted", "source": source}).json["items"]
        found = {row["id"] for row in listed}
        assert found == expected if source == "client" else forged_id not in found


@pytest.mark.parametrize("path", ["/logs", "/security-events"])
def test_an_unknown_source_filter_is_a_422(client, superadmin, path):
    res = call(client, "GET", path, superadmin, params={"source": "gateway"})
    assert res.status_int == 422
    assert res.json["error"]["code"] == "validation_error"


@pytest.mark.parametrize("reader", ["summary", "activity"])
def test_reported_rows_count_for_nothing(client, moderator, superadmin, alice, reader):
    """The analytics summary and a user's activity count the service's rows."""
    def counts():
        if reader == "summary":
            body = call(client, "GET", "/analytics/summary", superadmin).json
            return (sum(day["count"] for day in body["failed_logins_per_day"]),
                    {row["action"]: row["count"] for row in body["top_actions"]})
        body = call(client, "GET", f"/users/{alice.id}/activity", superadmin).json
        return body["security"].get("login_failed", 0), body["logs"]

    assert login(client, alice.user.email, WRONG).status_int == 401  # one real failure
    before = counts()
    for _ in range(3):
        res = call(client, "POST", "/security-events", moderator,
                   {"action": "login_failed", "user_id": alice.id,
                    "account": alice.user.email})
        assert res.status_int == 201
        assert call(client, "POST", "/logs", alice,
                    {"action": "admin.granted", "module": "admin"}).status_int == 201
    failed, actions = counts()
    assert failed == before[0] == 1
    # The reports' own audit rows (security_event.reported) are the service's.
    assert "admin.granted" not in actions and "admin.granted" not in before[1]
