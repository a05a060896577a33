"""GET /auth/sessions, DELETE /auth/sessions/{id}, POST /auth/logout-all:
the sessions a user sees and ends (login tokens and console sign-ins)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import webtest
from playhouse.test_utils import count_queries

from janus.models import AuthToken, ConsoleSession, SecurityEvent, utcnow
from tests.api.helpers import CLIENT_IP, PASSWORD, call
from tests.api.helpers import assert_error as error_of

AGENT = "janus-tests/sessions"


def log_in(client, actor, agent=AGENT, ip=CLIENT_IP) -> str:
    res = client.post_json("/auth/login", {"login": actor.user.username, "password": PASSWORD},
                           headers={"User-Agent": agent},
                           extra_environ={"REMOTE_ADDR": ip})
    return res.json["token"]


def sign_in_console(app, actor, agent=AGENT) -> webtest.TestApp:
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "203.0.113.9"})
    form = browser.get("/console/login").forms[0]
    form["login"], form["password"] = actor.user.username, PASSWORD
    form.submit(headers={"User-Agent": agent}, status=303)
    return browser


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def listed(client, token: str, **params) -> list[dict]:
    res = client.get("/auth/sessions", params, headers=bearer(token), status=200)
    return res.json["items"]


def test_lists_live_tokens_and_console_sessions_newest_first(app, client, superadmin):
    first = log_in(client, superadmin, agent="laptop", ip="192.0.2.1")
    sign_in_console(app, superadmin, agent="browser")
    current = log_in(client, superadmin, agent="phone", ip="192.0.2.3")
    items = listed(client, current)
    # The fixture's own token (no address, no agent) is the oldest.
    assert [(s["kind"], s["user_agent"], s["current"]) for s in items[:3]] == [
        ("token", "phone", True), ("console", "browser", False), ("token", "laptop", False)]
    # Listing used the current token, from the client's address: recorded at once.
    assert [s["last_used_ip"] for s in items[:3]] == [CLIENT_IP, "203.0.113.9", "192.0.2.1"]
    assert len(items) == 4 and items[3]["user_agent"] is None
    assert len({s["id"] for s in items}) == 4
    for item in items:
        assert set(item) == {"id", "kind", "created_at", "expires_at", "last_used_at",
                             "last_used_ip", "user_agent", "current"}
        assert first not in str(item)
    assert listed(client, current, kind="console")[0]["user_agent"] == "browser"


@pytest.mark.parametrize("ended", ["revoked", "expired"])
def test_ended_sessions_are_not_listed(client, alice, ended):
    other = log_in(client, alice)
    column = ({"revoked_at": utcnow()} if ended == "revoked"
              else {"expires_at": utcnow() - timedelta(seconds=1)})
    AuthToken.update(**column).where(AuthToken.user == alice.id,
                                     AuthToken.last_used_ip.is_null(False)).execute()
    items = listed(client, alice.token)
    assert [s["current"] for s in items] == [True]
    call(client, "GET", "/auth/sessions", headers=bearer(other), status=401)


def test_last_use_records_the_address_with_last_used_at(client, alice):
    token = log_in(client, alice, ip="192.0.2.50")
    client.get("/auth/me", headers=bearer(token), extra_environ={"REMOTE_ADDR": "192.0.2.51"})
    row = AuthToken.get(AuthToken.last_used_ip.is_null(False))
    assert (row.last_used_ip, row.user_agent) == ("192.0.2.51", AGENT)
    # Within the resolution, neither the time nor the address is written again.
    client.get("/auth/me", headers=bearer(token), extra_environ={"REMOTE_ADDR": "192.0.2.52"})
    again = AuthToken.get_by_id(row.id)
    assert (again.last_used_at, again.last_used_ip) == (row.last_used_at, "192.0.2.51")


def test_the_bearer_check_stays_one_query_a_request(client, alice):
    """Recording the address adds no statement: it rides on the last_used_at
    write, at most once a minute (the first request here makes it)."""
    client.get("/auth/me", headers=alice.headers, status=200)
    with count_queries() as counter:
        for _ in range(5):
            client.get("/auth/me", headers=alice.headers, status=200)
    assert counter.count == 5


def test_pages_follow_the_list_contract(client, alice):
    for _ in range(4):
        log_in(client, alice)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        res = client.get("/auth/sessions", params, headers=alice.headers, status=200)
        seen += [s["id"] for s in res.json["items"]]
        cursor = res.json["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    error_of(call(client, "GET", "/auth/sessions?cursor=nope", alice), 422, "validation_error")
    error_of(call(client, "GET", "/auth/sessions?kind=api", alice), 422, "validation_error")


@pytest.mark.parametrize("kind", ["token", "console"])
def test_delete_ends_one_session_of_either_kind(app, client, superadmin, kind):
    other = log_in(client, superadmin)
    browser = sign_in_console(app, superadmin)
    browser.get("/console", status=200)
    target = next(s for s in listed(client, superadmin.token, kind=kind) if not s["current"])
    call(client, "DELETE", f"/auth/sessions/{target['id']}", superadmin, status=204)
    assert target["id"] not in [s["id"] for s in listed(client, superadmin.token)]
    if kind == "token":
        call(client, "GET", "/auth/me", headers=bearer(other), status=401)
        browser.get("/console", status=200)
    else:
        call(client, "GET", "/auth/me", headers=bearer(other), status=200)
        assert browser.get("/console", status=303).location.endswith("/console/login")
    event = SecurityEvent.get(SecurityEvent.action == "session_ended")
    assert event.security_metadata == {"session_id": target["id"], "kind": kind}
    # Ended: a second DELETE finds nothing.
    error_of(call(client, "DELETE", f"/auth/sessions/{target['id']}", superadmin), 404,
             "not_found")


def test_another_users_session_is_a_404_and_stays(client, alice, bob):
    bobs = listed(client, bob.token)[0]["id"]
    error_of(call(client, "DELETE", f"/auth/sessions/{bobs}", alice), 404, "not_found")
    call(client, "GET", "/auth/me", bob, status=200)
    assert bobs not in [s["id"] for s in listed(client, alice.token)]


def test_deleting_the_current_session_logs_out(client, alice):
    mine = listed(client, alice.token)[0]
    call(client, "DELETE", f"/auth/sessions/{mine['id']}", alice, status=204)
    call(client, "GET", "/auth/me", alice, status=401)


@pytest.mark.parametrize("path", ["/auth/sessions/0", "/auth/sessions/2147483648",
                                  "/auth/sessions/x"])
def test_bad_ids_are_4xx(client, alice, path):
    assert call(client, "DELETE", path, alice).status_int in (404, 422)


def test_logout_all_ends_all_but_the_current_one(app, client, superadmin, bob):
    others = [log_in(client, superadmin) for _ in range(2)]
    browser = sign_in_console(app, superadmin)
    res = call(client, "POST", "/auth/logout-all", superadmin, status=200)
    assert res.json == {"ended": 3}
    assert [s["current"] for s in listed(client, superadmin.token)] == [True]
    for token in others:
        call(client, "GET", "/auth/me", headers=bearer(token), status=401)
    assert browser.get("/console", status=303).location.endswith("/console/login")
    assert ConsoleSession.select().where(ConsoleSession.revoked_at.is_null()).count() == 0
    call(client, "GET", "/auth/me", bob, status=200)  # nobody else's
    event = SecurityEvent.get(SecurityEvent.action == "logout_all")
    assert event.security_metadata == {"ended_sessions": 3}


def test_password_change_keeps_only_the_current_session(app, client, alice):
    other = log_in(client, alice)
    client.post_json("/auth/password", {"current_password": PASSWORD,
                                        "new_password": "a brand new passphrase"},
                     headers=alice.headers, status=200)
    assert [s["current"] for s in listed(client, alice.token)] == [True]
    call(client, "GET", "/auth/me", headers=bearer(other), status=401)


def test_anonymous_is_refused(client):
    for method, path in [("GET", "/auth/sessions"), ("DELETE", "/auth/sessions/2"),
                         ("POST", "/auth/logout-all")]:
        error_of(call(client, method, path), 401, "unauthorized")
