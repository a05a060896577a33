"""GET /console/security: filtered security events in keyset pages and the
lockouts in force; POST /console/security/unlock/<id>: a superadmin's
unlock, CSRF-checked, writing what ``janus-admin unlock`` writes. Hostile
values escaped; a fixed query count whatever the page size."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest

from janus.models import Log, SecurityEvent, User, utcnow
from janus.repos.security import security_events
from janus.services import lockout
from janus.web.app import create_app
from tests.api.helpers import CLIENT_IP, PASSWORD
from tests.console.helpers import queries, sign_in
from tests.helpers import T0

PATH = "/console/security"
A, B = "192.0.2.1", "192.0.2.2"


def fail(user_or_account, ip: str, times: int):
    """``times`` login failures a minute ago, against a user or a bare name."""
    user = user_or_account if not isinstance(user_or_account, str) else None
    account = user.email if user else user_or_account
    now = utcnow()
    for n in range(times):
        security_events.record("login_failed", user=user, account=account, ip=ip,
                               timestamp=now - timedelta(seconds=60 - n))


def lock_rows(res) -> list[list[str]]:
    table = res.html.select_one("#lockouts-heading").find_parent("section").select_one("table")
    if table is None:
        return []
    return [[cell.get_text(" ", strip=True) for cell in tr.select("th, td")]
            for tr in table.select("tbody tr")]


def event_ids(res) -> list[int]:
    return [int(tr["id"].removeprefix("event-")) for tr in res.html.select("tr[id^=event-]")]


def rows(model, action) -> list:
    return list(model.select().where(model.action == action))


# -- lockouts ---------------------------------------------------------------------
def test_a_lockout_is_listed_with_an_unlock_button_for_a_superadmin(as_superadmin, alice):
    fail(alice.user, A, 5)
    res = as_superadmin.get(PATH)
    assert res.status_int == 200, res.text
    [row] = lock_rows(res)
    assert row[:4] == [alice.user.email, alice.user.username, f"this address {A}", "5"]
    form = res.html.select_one(f'form[action="{PATH}/unlock/{alice.id}"]')
    assert form["method"] == "post"
    assert form.select_one('input[name="csrf_token"]')["value"] == as_superadmin.csrf
    assert form.select_one("button")["aria-label"] == f"Unlock {alice.user.email}"


def test_a_moderator_sees_lockouts_without_the_button(as_moderator, alice):
    fail(alice.user, A, 5)
    res = as_moderator.get(PATH)
    assert len(lock_rows(res)) == 1
    assert not res.html.select(f'form[action^="{PATH}/unlock/"]')


def test_an_unknown_account_is_listed_without_a_button(as_superadmin):
    fail("<b>nobody</b>", A, 5)
    res = as_superadmin.get(PATH)
    [row] = lock_rows(res)
    assert row[:2] == ["<b>nobody</b>", "no such account"]
    assert not res.html.select(f'form[action^="{PATH}/unlock/"]')
    assert "<b>nobody" not in res.text


@pytest.mark.parametrize("days, scope", [
    ("30", "every address but those it signed in from in the last 30 days"),
    ("0", "every address"),  # no address is known
])
def test_an_account_lock_says_which_addresses_it_spares(make_config, superadmin, alice,
                                                        days, scope):
    app = create_app(make_config(JANUS_KNOWN_ADDRESS_DAYS=days))
    client, res = sign_in(app, superadmin.user.username, PASSWORD)
    assert res.status_int == 303
    for n in range(4):
        fail(alice.user, f"192.0.2.{10 + n}", 5)
    rows = lock_rows(client.get(PATH))
    assert [row[2] for row in rows if not row[2].startswith("this address")] == [scope]


def test_unlock_clears_the_lockout_and_writes_the_clis_rows(as_superadmin, superadmin, alice):
    fail(alice.user, A, 5)
    res = as_superadmin.post(f"{PATH}/unlock/{alice.id}")
    assert res.status_int == 303, res.text
    assert res.headers["Location"].endswith(PATH)
    page = as_superadmin.get(PATH)
    assert lock_rows(page) == []
    assert f"Lockout cleared for {alice.user.email}" in \
        page.html.select_one('[role="status"]').get_text()
    [event] = rows(SecurityEvent, "lockout_cleared")
    assert (event.user_id, event.account, event.ip) == (alice.id, alice.user.email, CLIENT_IP)
    assert event.security_metadata == {"by_user_id": superadmin.id}
    [entry] = rows(Log, "user.unlocked")
    assert entry.user_id == superadmin.id
    assert entry.log_metadata == {"object_type": "user", "object_id": alice.id}
    assert lockout.current(as_superadmin.app.app.config["janus.config"]) == []


@pytest.mark.parametrize("csrf", ["", "0" * 64])
def test_unlock_without_a_valid_csrf_token_is_refused(as_superadmin, alice, csrf):
    fail(alice.user, A, 5)
    res = as_superadmin.post(f"{PATH}/unlock/{alice.id}", csrf=csrf)
    assert res.status_int == 403, res.text
    assert rows(SecurityEvent, "lockout_cleared") == [] and rows(Log, "user.unlocked") == []
    assert len(lock_rows(as_superadmin.get(PATH))) == 1


def test_a_moderator_cannot_unlock(as_moderator, alice):
    fail(alice.user, A, 5)
    res = as_moderator.post(f"{PATH}/unlock/{alice.id}")
    assert res.status_int == 403, res.text
    assert rows(SecurityEvent, "lockout_cleared") == []


def test_unlocking_no_such_user_is_a_404_page(as_superadmin):
    res = as_superadmin.post(f"{PATH}/unlock/999999")
    assert res.status_int == 404, res.text
    assert res.content_type == "text/html"
    assert rows(SecurityEvent, "lockout_cleared") == []


# -- events -----------------------------------------------------------------------
@pytest.fixture
def events(alice):
    made = {
        "fail": security_events.record("login_failed", user=alice.user, account=alice.user.email,
                                       ip=A, timestamp=T0),
        "ok": security_events.record("login_success", user=alice.user,
                                     account=alice.user.email, ip=B,
                                     timestamp=T0 + timedelta(minutes=1)),
        "unknown": security_events.record("login_failed", account="Nobody", ip="2001:db8::1",
                                          timestamp=T0 + timedelta(minutes=2)),
    }
    return {name: row.id for name, row in made.items()}


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["unknown", "ok", "fail"]),
    ({"action": "login_failed"}, ["unknown", "fail"]),
    ({"user_id": "alice"}, ["ok", "fail"]),
    ({"account": "NOBODY"}, ["unknown"]),
    ({"ip": "2001:DB8:0::1"}, ["unknown"]),
    ({"since": "2024-03-01T12:01"}, ["unknown", "ok"]),
    ({"until": "2024-03-01T12:01"}, ["fail"]),
    ({"action": "logout"}, []),
])
def test_event_filters(as_superadmin, events, alice, params, expected):
    params = {key: alice.id if value == "alice" else value for key, value in params.items()}
    res = as_superadmin.get(f"{PATH}?{urlencode(params)}")
    assert res.status_int == 200, res.text
    assert [i for i in event_ids(res) if i in events.values()] == [events[n] for n in expected]


@pytest.mark.parametrize(("query", "field"), [
    ("user_id=x", "user_id"), ("until=soon", "until"), ("limit=0", "limit"),
    ("cursor=%21", "cursor"), ("since=1.5", "since"), ("ip=a%00", "ip"),
])
def test_a_refused_event_filter_is_a_422_page(as_superadmin, events, query, field):
    res = as_superadmin.get(f"{PATH}?{query}")
    assert res.status_int == 422, res.text
    assert f"“{field}”" in res.html.select_one('[role="alert"]').get_text()
    assert event_ids(res) == []


def test_event_pages_walk_every_event_once(as_superadmin, alice):
    for n in range(7):
        security_events.record("logout", user=alice.user, account=alice.user.email,
                               timestamp=T0 + timedelta(seconds=n // 2))
    expected = [row.id for row in SecurityEvent.select().where(SecurityEvent.action == "logout")
                .order_by(SecurityEvent.timestamp.desc(), SecurityEvent.id.desc())]
    seen, path = [], f"{PATH}?action=logout&limit=3"
    while path:
        res = as_superadmin.get(path)
        seen += event_ids(res)
        older = res.html.select_one('a[rel="next"]')
        path = older["href"] if older else None
        assert path is None or ("action=logout" in path and "limit=3" in path)
    assert seen == expected and len(seen) == 7


def test_the_page_costs_the_same_whatever_the_number_of_rows(as_superadmin, make_actor, events):
    as_superadmin.get(PATH)  # warm-up
    fail(make_actor().user, A, 5)
    one = queries(as_superadmin, f"{PATH}?limit=1")
    for _ in range(3):
        fail(make_actor().user, B, 5)
    many = queries(as_superadmin, PATH)
    assert len(lock_rows(as_superadmin.get(PATH))) == 4
    assert one == many == 3  # the session; the lockouts; the events with their users


def test_hostile_values_are_escaped(as_superadmin, alice):
    hostile = '<script>alert(1)</script>"onmouseover=alert(1)'
    User.update(username=hostile).where(User.id == alice.id).execute()
    security_events.record("login_failed", user=alice.user, account=hostile, ip=hostile,
                           user_agent=hostile, metadata={hostile: "javascript:alert(1)"})
    fail(alice.user, A, 5)
    res = as_superadmin.get(PATH)
    assert res.status_int == 200
    assert "<script>alert" not in res.text and '"onmouseover=' not in res.text
    assert res.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4
    assert not [a for a in res.html.select("a[href]") if "javascript:" in a["href"]]
    assert not res.html.select("[onmouseover]")
