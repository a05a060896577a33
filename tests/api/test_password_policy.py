"""The one password policy over HTTP: every route that sets a password
refuses the weak ones with a 422 naming the field and saying why, changes
nothing, and keeps what the policy concluded (users.password_rule); raising
an account to an admin level needs a password checked against the admin
rule (409 until the account sets a new one)."""
from __future__ import annotations

import pytest

from janus.models import Admin, Log, User
from janus.password_policy import ADMIN, USER, require
from janus.passwords import hash_password, verify_password
from tests.api.helpers import PASSWORD, assert_error, call, error_paths, row_counts, snapshot

# The weak passwords (8 characters and the CLI's old list let them
# through), with what the refusal says.
WEAK = [
    # Too short for the document's minLength: msgspec's own words.
    ("password", f"length >= {USER.min_length}"),
    ("12345678", f"length >= {USER.min_length}"),
    ("password123456", "too easy to guess"),
    ("qwerty1234567", "too easy to guess"),
    ("adminadmin12", "too easy to guess"),
    ("janus-demo", "demo account"),
    ("newbie-newbie", "email or username"),
    ("newbie@example.com", "email or username"),
]
USER_RULE_ONLY = "compiler-1952"  # passes the user rule, not the admin one
ADMIN_STRONG = "tarn-ember-quill-58"


def _register(client, password, name="newbie"):
    return call(client, "POST", "/auth/register",
                json={"email": f"{name}@example.com", "username": name, "password": password})


def _refused(res, path: str, words: str) -> None:
    error = assert_error(res, 422, "validation_error")
    assert error_paths(error) == [path]
    assert words in error["details"][0]["message"], error


@pytest.mark.parametrize("password, words", WEAK)
def test_register_refuses_a_weak_password(client, password, words):
    before = row_counts()
    _refused(_register(client, password), "$.password", words)
    assert row_counts() == before


@pytest.mark.parametrize("password, words", WEAK)
def test_a_superadmin_cannot_create_a_user_with_a_weak_password(client, superadmin, password,
                                                                words):
    before = row_counts()
    res = call(client, "POST", "/users", superadmin,
               json={"email": "newbie@example.com", "username": "newbie", "password": password})
    _refused(res, "$.password", words)
    assert row_counts() == before


@pytest.mark.parametrize("password, words", WEAK[:5])
def test_a_password_change_refuses_a_weak_one(client, alice, password, words):
    before = snapshot(alice.id)
    res = call(client, "POST", "/auth/password", alice,
               json={"current_password": alice.password, "new_password": password})
    _refused(res, "$.new_password", words)
    assert snapshot(alice.id) == before
    assert not Log.select().where(Log.action == "user.password_changed").exists()


def test_the_refusal_gives_advice_a_person_can_act_on(client):
    message = _register(client, "password123456").json["error"]["details"][0]["message"]
    assert "strength 1 of 4" in message and "Add another word or two" in message


@pytest.mark.parametrize("password, rule", [(USER_RULE_ONLY, "user"), (ADMIN_STRONG, "admin")])
def test_the_rule_a_password_met_is_kept(client, password, rule):
    res = _register(client, password)
    assert res.status_int == 201, res.text
    user = User.get_by_id(res.json["id"])
    assert user.password_rule == rule
    assert verify_password(user.password_hash, password)
    assert "password_rule" not in res.json  # kept, never shown


def test_an_admin_to_be_is_held_to_the_admin_rule(client, superadmin):
    body = {"email": "mod2@example.com", "username": "mod2", "role": "admin",
            "admin_level": "moderator"}
    res = call(client, "POST", "/users", superadmin, json={**body, "password": USER_RULE_ONLY})
    _refused(res, "$.password", f"at least {ADMIN.min_length} characters for an admin account")
    res = call(client, "POST", "/users", superadmin,
               json={**body, "password": "analytical-engine"})  # long enough, not strong enough
    _refused(res, "$.password", "too easy to guess for an admin account")
    assert not User.select().where(User.email == "mod2@example.com").exists()
    res = call(client, "POST", "/users", superadmin, json={**body, "password": ADMIN_STRONG})
    assert res.status_int == 201, res.text
    assert res.json["admin_level"] == "moderator"


def test_an_admin_changing_their_password_is_held_to_the_admin_rule(client, moderator):
    res = call(client, "POST", "/auth/password", moderator,
               json={"current_password": moderator.password, "new_password": USER_RULE_ONLY})
    _refused(res, "$.new_password", "for an admin account")
    res = call(client, "POST", "/auth/password", moderator,
               json={"current_password": moderator.password, "new_password": ADMIN_STRONG})
    assert res.status_int == 200, res.text
    assert User.get_by_id(moderator.id).password_rule == "admin"


def _grants(client, superadmin, user_id):
    """Every route that raises a level, as the superadmin."""
    return [
        call(client, "POST", "/admins", superadmin,
             json={"user_id": user_id, "admin_level": "moderator"}),
        call(client, "PATCH", f"/users/{user_id}", superadmin,
             json={"role": "admin", "admin_level": "superadmin"}),
    ]


@pytest.mark.parametrize("rule", ["user", "unchecked"])
def test_granting_a_level_needs_a_password_checked_against_the_admin_rule(
        client, superadmin, rule):
    res = _register(client, USER_RULE_ONLY, name="dora")
    dora = res.json["id"]
    # "unchecked": an account from before migration 008, or a seeded one.
    User.update(password_rule=rule).where(User.id == dora).execute()
    before = snapshot(dora)
    for res in _grants(client, superadmin, dora):
        error = assert_error(res, 409, "conflict")
        assert "must set a new password first" in error["message"], error
        assert error["details"] == {"password_rule": rule, "required": "admin"}
    assert snapshot(dora) == before and not Admin.select().where(Admin.user == dora).exists()

    # The way past it: dora sets a new password that meets the admin rule...
    login = call(client, "POST", "/auth/login",
                 json={"login": "dora", "password": USER_RULE_ONLY})
    token = {"Authorization": f"Bearer {login.json['token']}"}
    res = call(client, "POST", "/auth/password", headers=token,
               json={"current_password": USER_RULE_ONLY, "new_password": ADMIN_STRONG})
    assert res.status_int == 200, res.text
    # ... then the grant goes through.
    res = call(client, "POST", "/admins", superadmin,
               json={"user_id": dora, "admin_level": "moderator"})
    assert res.status_int == 201, res.text


def test_an_unchecked_admin_keeps_the_level_and_may_be_lowered_not_raised(
        client, superadmin, moderator):
    User.update(password_rule="unchecked").where(User.id == moderator.id).execute()
    assert call(client, "GET", "/auth/me", moderator).json["admin_level"] == "moderator"
    res = call(client, "PATCH", f"/users/{moderator.id}", superadmin,
               json={"admin_level": "superadmin"})
    assert_error(res, 409, "conflict")
    res = call(client, "PATCH", f"/users/{moderator.id}", superadmin, json={"role": "user"})
    assert res.status_int == 200 and res.json["admin_level"] is None


def test_login_accepts_an_old_password_the_policy_would_refuse(client, make_actor):
    """Old accounts keep working: the policy applies where a password is set."""
    user = make_actor(name="oldtimer").user

    User.update(password_hash=hash_password("short"), password_rule="unchecked").where(
        User.id == user.id).execute()
    res = call(client, "POST", "/auth/login", json={"login": "oldtimer", "password": "short"})
    assert res.status_int == 200, res.text


def test_the_document_states_the_user_rule_length(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    for name, field in [("RegisterIn", "password"), ("UserCreateIn", "password"),
                        ("PasswordIn", "new_password")]:
        prop = schemas[name]["properties"][field]
        assert prop["minLength"] == USER.min_length and prop["maxLength"] == 1024, prop
    assert "minLength" not in schemas["LoginIn"]["properties"]["password"]


def test_the_suite_password_meets_the_admin_rule():
    """The fixtures' admins are made with it (tests/api/conftest.py)."""
    assert require(PASSWORD, email="root@example.com", username="root", admin=True) == "admin"
