"""Usernames compared in one canonical form (janus.usernames: NFKC, case
folding, the UTS #39 skeleton): a lookalike of a taken name is a 409 on
every route that sets a username, under concurrency too (a unique column),
login by a lookalike finds the one account it looks like, and the name as
typed is what is shown."""
from __future__ import annotations

import threading

import peewee as pw
import pytest
import webtest

from janus.db import database
from janus.models import SecurityEvent, User
from janus.usernames import canonical
from tests.api.helpers import CLIENT_IP, PASSWORD, assert_error, call, row_counts

# The lookalikes of "admin": case, Cyrillic а (U+0430), full width.
LOOKALIKES = ["Admin", "\u0430dmin", "\uff41\uff44\uff4d\uff49\uff4e"]
# More: capitals, Ukrainian і, two Cyrillic letters, mathematical bold, "rn" for "m".
MORE = ["ADMIN", "adm\u0456n", "\u0430dm\u0456n",
        "\U0001d41a\U0001d41d\U0001d426\U0001d422\U0001d427", "adrnin"]


def _register(client, username, email=None):
    email = email or f"{abs(hash(username))}@example.com"
    return call(client, "POST", "/auth/register",
                json={"email": email, "username": username, "password": PASSWORD})


@pytest.fixture
def admin_user(client):
    res = _register(client, "admin", "admin@example.com")
    assert res.status_int == 201, res.text
    return res.json


@pytest.mark.parametrize("name", LOOKALIKES + MORE)
def test_register_refuses_a_lookalike(client, admin_user, name):
    assert canonical(name) == canonical("admin")
    before = row_counts()
    error = assert_error(_register(client, name), 409, "conflict")
    assert error["details"] == {"constraint": "unique", "field": "username"}
    assert "looks like an existing username" in error["message"]
    assert row_counts() == before


@pytest.mark.parametrize("name", LOOKALIKES)
def test_a_superadmin_cannot_create_a_lookalike(client, admin_user, superadmin, name):
    res = call(client, "POST", "/users", superadmin,
               json={"email": "x@example.com", "username": name, "password": PASSWORD})
    assert_error(res, 409, "conflict")


@pytest.mark.parametrize("name", LOOKALIKES)
def test_renaming_to_a_lookalike_is_refused(client, admin_user, alice, name):
    res = call(client, "PATCH", f"/users/{alice.id}", alice, json={"username": name})
    assert_error(res, 409, "conflict")
    assert User.get_by_id(alice.id).username == "alice"


def test_a_user_may_change_the_case_of_their_own_name(client, alice):
    res = call(client, "PATCH", f"/users/{alice.id}", alice, json={"username": "Alice"})
    assert res.status_int == 200, res.text
    assert res.json["username"] == "Alice"  # as typed
    assert User.get_by_id(alice.id).username_canonical == canonical("alice")


def test_the_name_as_typed_is_what_is_shown(client):
    res = _register(client, "\uff4a\uff4f\uff53\uff45", "jose@example.com")  # full-width
    assert res.status_int == 201, res.text
    assert res.json["username"] == "\uff4a\uff4f\uff53\uff45"
    me = call(client, "POST", "/auth/login", json={"login": "jose", "password": PASSWORD})
    assert me.status_int == 200 and me.json["user"]["username"] == "\uff4a\uff4f\uff53\uff45"


@pytest.mark.parametrize("login", ["admin", *LOOKALIKES])
def test_login_by_a_lookalike_finds_the_one_account(client, admin_user, alice, login):
    res = call(client, "POST", "/auth/login", json={"login": login, "password": PASSWORD})
    assert res.status_int == 200, res.text
    assert res.json["user"]["id"] == admin_user["id"]


def test_a_wrong_password_for_a_lookalike_counts_against_that_account(client, admin_user):
    call(client, "POST", "/auth/login", json={"login": "\u0430dmin", "password": "wrong one"})
    event = SecurityEvent.select().order_by(SecurityEvent.id.desc()).first()
    assert (event.action, event.user_id, event.account) == (
        "login_failed", admin_user["id"], "admin@example.com")


def test_names_that_only_look_alike_in_the_form_stay_apart(client):
    # Different letters stay different: the form is no fuzzy match.
    for name in ("ana", "anna", "an_a", "ana1"):
        assert _register(client, name).status_int == 201


def test_the_unique_column_holds_without_the_application(admin_user):
    """A row written past the repository still cannot take the form."""
    with pytest.raises(pw.IntegrityError), database.atomic():
        User.insert(email="raw@example.com", username="Admin", password_hash="x",
                    username_canonical=canonical("Admin")).execute()


def test_concurrent_lookalikes_register_once(app):
    """Lookalikes registered at the same moment from separate clients: one
    201, every other a 409, never a 500 (the unique column decides)."""
    names = ["admin", *LOOKALIKES, "ADMIN"]
    barrier, results = threading.Barrier(len(names)), {}

    def register(n, name):
        client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": CLIENT_IP})
        barrier.wait(timeout=60)
        res = call(client, "POST", "/auth/register",
                   json={"email": f"racer{n}@example.com", "username": name,
                         "password": PASSWORD})
        results[name] = res.status_int

    threads = [threading.Thread(target=register, args=(n, name))
               for n, name in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results.values()) == [201] + [409] * (len(names) - 1), results
    assert User.select().where(User.username_canonical == canonical("admin")).count() == 1
