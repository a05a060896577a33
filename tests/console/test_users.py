"""The users pages: the list (filters, keyset pages), a user's page, and the
superadmin's actions, which write the same audit and security rows as the API."""
from __future__ import annotations

import re

import pytest

from janus.models import Admin, AuthToken, ConsoleSession, Log, SecurityEvent, User
from janus.services.auth import issue_token
from tests.console.helpers import queries
from tests.console.test_api_keys import make_key
from tests.helpers import make_image, make_user, set_admin_level

ROW_LINK = re.compile(r'<th scope="row"><a href="/console/users/(\d+)">')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


def listed(res) -> list[int]:
    assert res.status_int == 200, res.text
    return [int(n) for n in ROW_LINK.findall(res.text)]


@pytest.fixture
def people(as_superadmin, as_moderator):
    """Besides root and mod: a few users to filter."""
    made = {
        "ada": make_user("ada"),
        "grace": make_user("grace_hopper"),
        "off": make_user("offline", is_active=False),
        "pct": make_user("100pct"),
        "sup2": make_user("second_root"),
        "uni": make_user("Ünïcödé"),
    }
    set_admin_level(made["sup2"], "superadmin")
    return {name: user.id for name, user in made.items()} | {
        "root": as_superadmin.actor.id, "mod": as_moderator.actor.id}


FILTER_CASES = [
    ({"q": "GRACE"}, ["grace"]),
    ({"q": "hopper@example"}, ["grace"]),
    ({"q": "%"}, []),  # a wildcard is a literal character
    ({"q": "100p"}, ["pct"]),
    ({"q": "ünï"}, ["uni"]),  # the API's search (janus.lists.search): non-ASCII folds
    ({"q": "ÜN"}, ["uni"]),
    ({"role": "admin"}, ["root", "mod", "sup2"]),
    ({"admin_level": "superadmin"}, ["root", "sup2"]),
    ({"admin_level": "moderator"}, ["mod"]),
    ({"admin_level": "none", "is_active": "true"}, ["ada", "grace", "pct", "uni"]),
    ({"is_active": "false"}, ["off"]),
    ({"q": "", "role": "", "admin_level": "", "is_active": ""},
     ["ada", "grace", "off", "pct", "sup2", "uni", "root", "mod"]),
]


@pytest.mark.parametrize("params, expected", FILTER_CASES,
                         ids=[str(case[0]) for case in FILTER_CASES])
def test_filters(as_superadmin, people, params, expected):
    res = as_superadmin.get("/console/users", params=params)
    assert sorted(listed(res)) == sorted(people[name] for name in expected)


@pytest.mark.parametrize("params", [{"is_active": "maybe"}, {"admin_level": "king"},
                                    {"limit": "0"}, {"cursor": "garbage"}, {"nope": "1"}])
def test_bad_filters_are_a_4xx_page(as_superadmin, params):
    if "nope" in params:  # a field the page does not read is ignored
        assert as_superadmin.get("/console/users", params=params).status_int == 200
        return
    res = as_superadmin.get("/console/users", params=params)
    assert res.status_int in (400, 422), res.text
    assert res.content_type == "text/html" and "<h1>" in res.text


def test_keyset_pages_walk_every_user_once(as_moderator, people):
    seen, path, pages = [], "/console/users?limit=2&admin_level=none", 0
    while path:
        res = as_moderator.get(path.replace("&amp;", "&"))
        seen += listed(res)
        pages += 1
        match = NEXT.search(res.text)
        path = match.group(1) if match else None
        assert pages < 20
    assert sorted(seen) == sorted(people[n] for n in ("ada", "grace", "off", "pct", "uni"))
    assert pages == 3


def test_the_list_costs_the_same_whatever_the_page_size(as_superadmin, people):
    as_superadmin.get("/console/users")  # warm-up
    small = queries(as_superadmin, "/console/users?limit=1")
    full = queries(as_superadmin, "/console/users?limit=50")
    assert small == full == 2  # the session, the page


def test_a_users_page(as_moderator, people):
    user = User.get_by_id(people["ada"])
    image = make_image(user, filename="sunset.png")
    Log.create(user=user.id, action="image.created", module="image",
               log_metadata={"object_type": "image", "object_id": image.id})
    SecurityEvent.create(user=user.id, action="login_failed", account="ada@example.com",
                         ip="203.0.113.5")
    res = as_moderator.get(f"/console/users/{user.id}")
    assert res.status_int == 200
    text = res.text
    assert "<h1>User ada</h1>" in text and "ada@example.com" in text
    assert f'href="/console/images/{image.id}"' in text and "sunset.png" in text
    assert "image.created" in text and "login_failed" in text and "203.0.113.5" in text
    # A moderator reads; the actions are a superadmin's.
    assert "<form method=\"post\" action=\"/console/users/" not in text


def test_a_superadmin_sees_the_actions(as_superadmin, people):
    text = as_superadmin.get(f"/console/users/{people['ada']}").text
    for action in ("deactivate", "revoke-tokens", "admin-level", "send-reset"):
        assert f'action="/console/users/{people["ada"]}/{action}"' in text
    # Four actions and sign-out; ada's email is verified, so no resend.
    assert text.count('name="csrf_token"') == 5


def test_an_unknown_user_is_a_404_page(as_superadmin):
    res = as_superadmin.get("/console/users/999999")
    assert res.status_int == 404 and "<h1>Not found</h1>" in res.text


def test_a_users_page_costs_the_same_whatever_they_have(as_superadmin, people):
    user = User.get_by_id(people["ada"])
    as_superadmin.get(f"/console/users/{user.id}")  # warm-up
    before = queries(as_superadmin, f"/console/users/{user.id}")
    for n in range(15):
        make_image(user)
        Log.create(user=user.id, action=f"a.{n}", module="a")
        SecurityEvent.create(user=user.id, action="login_failed")
        make_key(user.id, name=f"key-{n}")
    assert queries(as_superadmin, f"/console/users/{user.id}") == before == 6  # + API keys


# -- actions ----------------------------------------------------------------------
def audit_rows(action: str) -> list[Log]:
    return list(Log.select().where(Log.action == action).order_by(Log.id))


def follow(client, res):
    assert res.status_int == 303, res.text
    return client.get(res.headers["Location"].replace("http://localhost:80", ""))


@pytest.fixture
def target(people):
    return User.get_by_id(people["ada"])


def test_deactivate_and_activate(as_superadmin, target):
    issue_token(target, 3600)
    res = as_superadmin.post(f"/console/users/{target.id}/deactivate")
    page = follow(as_superadmin, res)
    assert "is deactivated" in page.text and 'role="status"' in page.text
    assert not User.get_by_id(target.id).is_active
    assert AuthToken.get(AuthToken.user == target.id).revoked_at is not None
    (row,) = audit_rows("user.updated")
    # The same row as the API's PATCH /users/<id> {"is_active": false}
    assert row.user_id == as_superadmin.actor.id
    assert row.log_metadata == {"object_type": "user", "object_id": target.id,
                                "changes": {"is_active": [True, False]}}
    follow(as_superadmin, as_superadmin.post(f"/console/users/{target.id}/activate"))
    assert User.get_by_id(target.id).is_active
    assert [r.log_metadata["changes"] for r in audit_rows("user.updated")] == [
        {"is_active": [True, False]}, {"is_active": [False, True]}]
    # The flash is shown once.
    assert 'role="status"' not in as_superadmin.get(f"/console/users/{target.id}").text


@pytest.mark.parametrize("before, level, action, changes", [
    (None, "moderator", "admin.granted", [None, "moderator"]),
    (None, "superadmin", "admin.granted", [None, "superadmin"]),
    ("moderator", "superadmin", "admin.granted", ["moderator", "superadmin"]),
    ("superadmin", "moderator", "admin.granted", ["superadmin", "moderator"]),
    ("moderator", "none", "admin.revoked", ["moderator", None]),
])
def test_change_the_admin_level(as_superadmin, target, before, level, action, changes):
    if before:
        set_admin_level(target, before)
    page = follow(as_superadmin, as_superadmin.post(f"/console/users/{target.id}/admin-level",
                                                    {"admin_level": level}))
    assert "no longer an admin" in page.text if level == "none" else f"now a {level}" in page.text
    admin = Admin.get_or_none(Admin.user == target.id)
    assert (admin.admin_level if admin else "none") == level
    (row,) = audit_rows(action)
    assert row.user_id == as_superadmin.actor.id
    assert row.log_metadata["changes"] == {"user_id": target.id, "admin_level": changes}
    event = SecurityEvent.get(SecurityEvent.action == action.replace(".", "_"))
    assert event.user_id == target.id
    assert event.security_metadata["by_user_id"] == as_superadmin.actor.id


@pytest.mark.parametrize("fields", [{}, {"admin_level": "king"}])
def test_an_admin_level_must_be_chosen(as_superadmin, target, fields):
    page = follow(as_superadmin, as_superadmin.post(f"/console/users/{target.id}/admin-level",
                                                    fields))
    assert "Choose an admin level" in page.text and "flash-error" in page.text
    assert Admin.select().where(Admin.user == target.id).count() == 0
    assert not audit_rows("admin.granted")


def test_revoke_tokens(as_superadmin, as_moderator, target):
    issue_token(target, 3600)
    issue_token(target, 3600)
    page = follow(as_superadmin, as_superadmin.post(f"/console/users/{target.id}/revoke-tokens"))
    assert "2 token(s) revoked" in page.text
    (row,) = audit_rows("user.tokens_revoked")
    assert row.log_metadata["changes"] == {"revoked_tokens": 2}
    event = SecurityEvent.get(SecurityEvent.action == "tokens_revoked")
    assert event.user_id == target.id
    # A moderator's console session goes the same way.
    follow(as_superadmin,
           as_superadmin.post(f"/console/users/{as_moderator.actor.id}/revoke-tokens"))
    assert as_moderator.get("/console").status_int == 303


@pytest.mark.parametrize("action, fields", [("deactivate", {}),
                                            ("admin-level", {"admin_level": "moderator"}),
                                            ("admin-level", {"admin_level": "none"})])
def test_the_last_superadmin_rule_is_a_message(as_superadmin, action, fields):
    me = as_superadmin.actor.id
    res = as_superadmin.post(f"/console/users/{me}/{action}", fields)
    page = follow(as_superadmin, res)
    assert page.status_int == 200
    assert "Not done: the last superadmin cannot be" in page.text
    assert "flash-error" in page.text
    assert User.get_by_id(me).is_active
    assert Admin.get(Admin.user == me).admin_level == "superadmin"
    assert not audit_rows("user.updated") and not audit_rows("admin.revoked")


@pytest.mark.parametrize("csrf", ["", "0" * 64])
@pytest.mark.parametrize("action", ["deactivate", "revoke-tokens", "admin-level"])
def test_actions_without_a_valid_csrf_token_change_nothing(as_superadmin, target, action, csrf):
    token = issue_token(target, 3600).row
    admins = Admin.select().count()
    res = as_superadmin.post(f"/console/users/{target.id}/{action}",
                             {"admin_level": "superadmin"}, csrf=csrf)
    assert res.status_int == 403 and "security token" in res.text
    assert User.get_by_id(target.id).is_active
    assert AuthToken.get_by_id(token.id).revoked_at is None
    assert Admin.select().count() == admins
    assert Log.select().count() == 0


def test_a_moderator_cannot_act(as_moderator, target):
    res = as_moderator.post(f"/console/users/{target.id}/deactivate")
    assert res.status_int == 403
    assert User.get_by_id(target.id).is_active and Log.select().count() == 0


def test_deactivating_yourself_signs_you_out(as_superadmin, people):
    res = as_superadmin.post(f"/console/users/{as_superadmin.actor.id}/deactivate")
    assert res.status_int == 303  # another superadmin (second_root) remains
    assert ConsoleSession.get(ConsoleSession.user == as_superadmin.actor.id).revoked_at
    assert as_superadmin.get("/console").status_int == 303


# -- escaping -------------------------------------------------------------------------
HOSTILE = ["<script>alert(1)</script>", '"onmouseover=alert(1) x="', "javascript:alert(1)"]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_usernames_and_emails_are_escaped(as_superadmin, payload):
    user = User.create(username=payload, email=f"{payload}@example.com", password_hash="x")
    issue_token(user, 60)
    SecurityEvent.create(user=user.id, action="login_failed", account=payload, ip="::1")
    Log.create(user=user.id, action="x.y", module="x", log_metadata={"object_type": payload})
    pages = [as_superadmin.get("/console/users"),
             as_superadmin.get("/console/users", params={"q": payload}),
             as_superadmin.get(f"/console/users/{user.id}")]
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&#34;")
    for res in pages:
        assert res.status_int == 200
        if escaped != payload:  # markup characters: never raw, always escaped
            assert payload not in res.text
        assert escaped in res.text
        assert 'href="javascript:' not in res.text and "src=\"javascript:" not in res.text
