"""Signing in and out of the console: the API's login service (lockout,
security events), cookies, sessions stored hashed, expiry and revocation."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from janus.access import Actor
from janus.models import ConsoleSession, SecurityEvent, utcnow
from janus.services import accounts
from janus.web.app import create_app
from janus.web.console.session import LOGIN_COOKIE, SESSION_COOKIE
from tests.api.helpers import NEW_PASSWORD, PASSWORD, call
from tests.console.helpers import LOGIN, ConsoleClient, browser, csrf_of, sign_in


def set_cookies(res) -> dict[str, str]:
    return {value.split("=", 1)[0]: value for name, value in res.headerlist
            if name == "Set-Cookie"}


def events(action: str) -> list[SecurityEvent]:
    return list(SecurityEvent.select().where(SecurityEvent.action == action))


def test_an_admin_signs_in(app, superadmin):
    client, res = sign_in(app, superadmin.user.email, PASSWORD)
    assert res.status_int == 303 and res.headers["Location"].endswith("/console")
    plain = client.cookie(SESSION_COOKIE)
    (row,) = ConsoleSession.select()
    # Stored hashed only: the cookie's SHA-256, never the value itself.
    assert row.session_hash == hashlib.sha256(plain.encode()).hexdigest() != plain
    assert row.user_id == superadmin.id and row.revoked_at is None
    assert timedelta(hours=7, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=8)
    (success,) = events("login_success")
    assert success.security_metadata == {"via": "console", "own_address": True}
    assert success.user_id == superadmin.id
    page = client.get("/console")
    assert page.status_int == 200 and "Signed in as" in page.text and "root" in page.text


@pytest.mark.parametrize("secure", [False, True])
def test_cookie_flags(make_config, superadmin, secure):
    app = create_app(make_config(JANUS_COOKIE_SECURE=str(secure).lower()))
    # Behind TLS, as the setting is meant for (a Secure cookie never goes back over http).
    client = ConsoleClient(browser(app, **{"wsgi.url_scheme": "https",
                                           "HTTP_HOST": "localhost:443"}))
    form = client.get(LOGIN)
    login_cookie = set_cookies(form)[LOGIN_COOKIE]
    res = client.post(LOGIN, {"login": "root", "password": PASSWORD}, csrf=csrf_of(form))
    assert res.status_int == 303
    session_cookie = set_cookies(res)[SESSION_COOKIE]
    for cookie in (login_cookie, session_cookie):
        parts = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in parts and "samesite=strict" in parts and "path=/console" in parts
        assert ("secure" in parts) is secure
    assert "max-age=28800" in session_cookie.lower()


def test_the_session_lifetime_is_a_setting(make_config, superadmin):
    app = create_app(make_config(JANUS_CONSOLE_SESSION_SECONDS=600))
    sign_in(app, "root", PASSWORD)
    (row,) = ConsoleSession.select()
    assert row.expires_at - row.created_at == timedelta(seconds=600)


@pytest.mark.parametrize("login, password, status", [
    ("root", "wrong password", 401),
    ("nobody", PASSWORD, 401),
    ("", PASSWORD, 422),
    ("ro\x00ot", PASSWORD, 422),
])
def test_a_failed_sign_in_shows_the_form_again(app, superadmin, login, password, status):
    client, res = sign_in(app, login, password)
    assert res.status_int == status, res.text
    assert "<form" in res.text and 'role="alert"' in res.text
    assert SESSION_COOKIE not in set_cookies(res)
    assert ConsoleSession.select().count() == 0
    assert not events("login_success")


def test_failures_count_toward_lockout_with_the_api(make_config, superadmin):
    app = create_app(make_config(JANUS_LOCKOUT_THRESHOLD=3))
    api = browser(app)
    # Two failures through the API and one through the console lock the address out.
    for _ in range(2):
        res = call(api, "POST", "/auth/login", json={"login": "root", "password": "nope"})
        assert res.status_int == 401
    _, res = sign_in(app, "root", "still wrong")
    assert res.status_int == 401
    assert len(events("login_failed")) == 3 and len(events("lockout")) == 1
    _, res = sign_in(app, "root", PASSWORD)  # the right password, but locked out
    assert res.status_int == 429 and int(res.headers["Retry-After"]) > 0
    assert "Too many" in res.text and "<form" in res.text
    assert ConsoleSession.select().count() == 0 and events("login_locked")


def test_a_plain_user_gets_a_403_page_and_no_session(app, alice):
    client, res = sign_in(app, alice.user.username, PASSWORD)
    assert res.status_int == 403 and "admins only" in res.text
    assert SESSION_COOKIE not in set_cookies(res)
    assert ConsoleSession.select().count() == 0
    assert client.get("/console").status_int == 303


@pytest.mark.parametrize("token", ["", "0" * 64, "not-hex"])
def test_sign_in_without_a_valid_csrf_token_is_refused(app, superadmin, token):
    client = ConsoleClient(browser(app))
    client.get(LOGIN)
    res = client.post(LOGIN, {"login": "root", "password": PASSWORD}, csrf=token)
    assert res.status_int == 403 and "security token" in res.text
    assert ConsoleSession.select().count() == 0 and SecurityEvent.select().count() == 0


def test_a_token_from_another_browser_does_not_work(app, superadmin):
    attacker = ConsoleClient(browser(app))
    token = csrf_of(attacker.get(LOGIN))
    victim = ConsoleClient(browser(app))
    victim.get(LOGIN)  # the victim has their own login cookie
    res = victim.post(LOGIN, {"login": "root", "password": PASSWORD}, csrf=token)
    assert res.status_int == 403


def test_signed_in_admins_skip_the_form(as_moderator):
    res = as_moderator.get(LOGIN)
    assert res.status_int == 303 and res.headers["Location"].endswith("/console")


def test_sign_out_revokes_the_session(as_superadmin):
    plain = as_superadmin.cookie(SESSION_COOKIE)
    res = as_superadmin.post("/console/logout")
    assert res.status_int == 303 and res.headers["Location"].endswith(LOGIN)
    assert 'janus_console=""' in set_cookies(res)[SESSION_COOKIE]
    (row,) = ConsoleSession.select()
    assert row.revoked_at is not None
    (logout,) = events("logout")
    assert logout.security_metadata == {"via": "console"}
    # The old cookie, replayed, no longer works.
    replay = browser(as_superadmin.app.app)
    replay.set_cookie(SESSION_COOKIE, plain)
    assert replay.get("/console", status="*").status_int == 303


def test_sign_out_needs_the_csrf_token(as_superadmin):
    res = as_superadmin.post("/console/logout", csrf="")
    assert res.status_int == 403
    assert ConsoleSession.get().revoked_at is None
    assert as_superadmin.get("/console").status_int == 200


def test_an_expired_session_signs_nobody_in(as_superadmin):
    ConsoleSession.update(expires_at=utcnow() - timedelta(seconds=1)).execute()
    res = as_superadmin.get("/console")
    assert res.status_int == 303 and res.headers["Location"].endswith(LOGIN)


def _password_change(client, actor, app):
    res = call(browser(app), "POST", "/auth/password", actor,
               json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert res.status_int == 200


def _deactivation(client, actor, app):
    accounts.set_active(Actor(None, "superadmin"), actor.id, False)


def _revoke_tokens(client, actor, app):
    accounts.revoke_user_tokens(Actor(None, "superadmin"), actor.id)


def _password_reset(client, actor, app):
    accounts.set_password(Actor(None, "superadmin"), actor.id, NEW_PASSWORD)


@pytest.mark.parametrize("revoke", [_password_change, _deactivation, _revoke_tokens,
                                    _password_reset])
def test_sessions_are_revoked_with_the_users_tokens(app, as_moderator, superadmin, revoke):
    assert as_moderator.get("/console").status_int == 200
    revoke(as_moderator, as_moderator.actor, app)
    assert ConsoleSession.get().revoked_at is not None
    res = as_moderator.get("/console")
    assert res.status_int == 303 and res.headers["Location"].endswith(LOGIN)


def test_an_admin_demoted_after_signing_in_gets_403(as_moderator, superadmin):
    accounts.update_user(Actor(superadmin.user, "superadmin"), as_moderator.actor.id,
                         accounts.UserPatchIn(role="user"))
    res = as_moderator.get("/console")
    assert res.status_int == 403


def test_expired_sessions_are_purged_at_sign_in(app, as_moderator, superadmin):
    ConsoleSession.update(expires_at=utcnow() - timedelta(seconds=1)).execute()
    sign_in(app, "root", PASSWORD)
    (row,) = ConsoleSession.select()
    assert row.user_id == superadmin.id


def test_sign_in_shares_the_apis_rate_limit(make_config, superadmin):
    app = create_app(make_config(JANUS_RATE_LIMIT_LOGIN="2/minute"))
    res = call(browser(app), "POST", "/auth/login", json={"login": "root", "password": "x"})
    assert res.status_int == 401
    assert sign_in(app, "root", "wrong")[1].status_int == 401
    _, res = sign_in(app, "root", PASSWORD)  # the third attempt from this address
    assert res.status_int == 429 and int(res.headers["Retry-After"]) > 0
    assert "<form" in res.text and ConsoleSession.select().count() == 0


def test_an_oversized_form_is_a_413_page(make_config, superadmin):
    app = create_app(make_config(JANUS_MAX_BODY_BYTES=2000))
    client = ConsoleClient(browser(app))
    token = csrf_of(client.get(LOGIN))
    res = client.post(LOGIN, {"login": "root", "password": PASSWORD, "pad": "x" * 5000},
                      csrf=token)
    assert res.status_int == 413 and res.content_type == "text/html"
    assert ConsoleSession.select().count() == 0 and SecurityEvent.select().count() == 0
    res = client.post(LOGIN, {"login": "root", "password": PASSWORD}, csrf=token)
    assert res.status_int == 303  # a normal form still goes through
