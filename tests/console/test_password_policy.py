"""The console and the password policy: it sets no password itself, so what
it offers is the admin-level form, which refuses an account whose password
was not checked against the admin rule (until that account sets a new one);
a superadmin sees which rule a password met; an admin whose password does
not meet the admin rule is told at sign-in; a lookalike username signs in as
the account it looks like."""
from __future__ import annotations

import pytest

from janus.models import Admin, User
from janus.passwords import hash_password
from janus.repos.users import users
from tests.api.helpers import PASSWORD, call
from tests.console.helpers import LOGIN, ConsoleClient, browser, csrf_of, sign_in

# The weak passwords, as an account could have set them before the policy.
WEAK = ["password", "12345678", "password123456", "qwerty1234567", "adminadmin12"]
STRONG = "tarn-ember-quill-58"


def follow(client, res):
    assert res.status_int == 303, res.text
    return client.get(res.headers["Location"])


@pytest.fixture
def weak_user(db):
    """An account whose password the policy never checked (from before it)."""
    def make(password: str):
        user = users.create(email="weak@example.com", username="weak",
                            password_hash=hash_password(password))
        assert user.password_rule == "unchecked"
        return user
    return make


@pytest.mark.parametrize("password", WEAK)
@pytest.mark.parametrize("level", ["moderator", "superadmin"])
def test_the_level_form_refuses_an_account_with_an_unchecked_password(
        app, as_superadmin, weak_user, password, level):
    user = weak_user(password)
    page = follow(as_superadmin, as_superadmin.post(f"/console/users/{user.id}/admin-level",
                                                    {"admin_level": level}))
    assert "flash-error" in page.text and "must set a new password first" in page.text
    assert not Admin.select().where(Admin.user == user.id).exists()
    assert User.get_by_id(user.id).role == "user"
    # So the weak password never reaches the console.
    _, res = sign_in(app, "weak@example.com", password)
    assert res.status_int == 403


def test_after_a_new_password_the_level_form_grants(app, client, as_superadmin, weak_user):
    user = weak_user("password123456")
    login = call(client, "POST", "/auth/login",
                 json={"login": "weak", "password": "password123456"})
    res = call(client, "POST", "/auth/password",
               headers={"Authorization": f"Bearer {login.json['token']}"},
               json={"current_password": "password123456", "new_password": STRONG})
    assert res.status_int == 200, res.text
    page = follow(as_superadmin, as_superadmin.post(f"/console/users/{user.id}/admin-level",
                                                    {"admin_level": "moderator"}))
    assert "weak is now a moderator" in page.text
    _, res = sign_in(app, "weak", STRONG)
    assert res.status_int == 303


@pytest.mark.parametrize("rule, shown", [("admin", "meets the admin rule"),
                                         ("user", "meets the user rule only"),
                                         ("unchecked", "not checked")])
def test_a_superadmin_sees_which_rule_a_password_met(as_superadmin, as_moderator, alice,
                                                     rule, shown):
    User.update(password_rule=rule).where(User.id == alice.id).execute()
    page = as_superadmin.get(f"/console/users/{alice.id}")
    assert "<dt>Password</dt>" in page.text and shown in page.text
    assert "<dt>Password</dt>" not in as_moderator.get(f"/console/users/{alice.id}").text


def _first_page(app, login: str) -> str:
    """The page a browser lands on after signing in (sign_in's own visit would
    take the flash)."""
    client = ConsoleClient(browser(app))
    form = client.get(LOGIN)
    res = client.post(LOGIN, {"login": login, "password": PASSWORD}, csrf=csrf_of(form))
    return follow(client, res).text


def test_an_admin_without_an_admin_checked_password_is_told_at_sign_in(app, moderator):
    assert "does not meet the admin password rule" not in _first_page(app, "mod")
    User.update(password_rule="unchecked").where(User.id == moderator.id).execute()
    page = _first_page(app, "mod")
    assert "flash-error" in page and "does not meet the admin password rule" in page


@pytest.mark.parametrize("login", ["MOD", "m\u043ed", "\uff4d\uff4f\uff44"])
def test_a_lookalike_signs_in_as_the_account_it_looks_like(app, moderator, login):
    client, res = sign_in(app, login, PASSWORD)
    assert res.status_int == 303
    page = client.get("/console")
    assert "Signed in as" in page.text and moderator.user.username in page.text
