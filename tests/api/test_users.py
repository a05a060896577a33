"""HTTP tests for /users: list, get, create, change, activity (deleting users
and the last superadmin: test_user_removal.py)."""
from __future__ import annotations

import pytest

from janus.models import Admin, Log, SecurityEvent, User
from janus.services.admins import level_of
from tests.api.helpers import CLIENT_IP, PASSWORD, fresh, key_headers, snapshot
from tests.api.helpers import assert_error as error_of


def ids(res) -> list[int]:
    return [item["id"] for item in res.json["items"]]


# -- list ----------------------------------------------------------------------
def test_a_user_lists_only_themselves(client, alice, bob, moderator):
    res = client.get("/users", headers=alice.headers, status=200)
    assert ids(res) == [alice.id]
    assert res.json["next_cursor"] is None
    item = res.json["items"][0]
    assert item["email"] == "alice@example.com" and "password_hash" not in item


@pytest.mark.parametrize("who", ["moderator", "superadmin"])
def test_admins_list_everyone_newest_first(client, alice, bob, moderator, superadmin, who):
    actor = {"moderator": moderator, "superadmin": superadmin}[who]
    res = client.get("/users", headers=actor.headers, status=200)
    assert ids(res) == [superadmin.id, moderator.id, bob.id, alice.id]
    levels = {item["username"]: item["admin_level"] for item in res.json["items"]}
    assert levels == {"alice": None, "bob": None, "mod": "moderator", "root": "superadmin"}


@pytest.mark.parametrize("query, expected", [
    ({"email": "alice@example.com"}, ["alice"]),
    ({"email": "ALICE@Example.com"}, ["alice"]),
    ({"username": "bob"}, ["bob"]),
    ({"username": "nobody"}, []),
    ({"role": "admin"}, ["root", "mod"]),
    ({"role": "user"}, ["sleeper", "bob", "alice"]),
    ({"is_active": "false"}, ["sleeper"]),
    ({"is_active": "true", "role": "user"}, ["bob", "alice"]),
])
def test_list_filters(client, alice, bob, moderator, superadmin, make_actor, query, expected):
    make_actor(active=False, name="sleeper")
    res = client.get("/users", query, headers=moderator.headers, status=200)
    assert [item["username"] for item in res.json["items"]] == expected


def test_filters_do_not_widen_what_a_user_sees(client, alice, bob):
    res = client.get("/users", {"username": "bob"}, headers=alice.headers, status=200)
    assert res.json["items"] == []


@pytest.mark.parametrize("query, path", [
    ({"role": "root"}, "$.role"),
    ({"is_active": "maybe"}, "$.is_active"),
    ({"limit": "0"}, "$.limit"),
    ({"limit": "501"}, "$.limit"),
    ({"cursor": "not-a-cursor"}, "$.cursor"),
    ({"colour": "red"}, "$.colour"),
])
def test_list_query_errors(client, moderator, query, path):
    res = client.get("/users", query, headers=moderator.headers, status=422)
    error = error_of(res, 422, "validation_error")
    assert error["details"][0]["path"] == path


def test_list_pages_with_the_cursor(client, make_actor, moderator):
    made = [make_actor() for _ in range(6)]
    expected = [actor.id for actor in reversed(made)] + [moderator.id]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        res = client.get("/users", query, headers=moderator.headers, status=200)
        assert len(res.json["items"]) <= 3
        seen += ids(res)
        pages += 1
        cursor = res.json["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert seen == expected
    assert pages == 3


# -- get -----------------------------------------------------------------------
def test_get_yourself(client, alice):
    res = client.get(f"/users/{alice.id}", headers=alice.headers, status=200)
    assert (res.json["id"], res.json["username"], res.json["role"]) == (alice.id, "alice", "user")


@pytest.mark.parametrize("level", [None, "moderator", "superadmin"])
def test_your_own_account_reads_as_anyone_elses_does(client, make_actor, superadmin, level):
    # Your own account is answered from the token check's row (one query,
    # janus.lists.reads.UserReads), another's from its own read: the same bytes.
    me = make_actor(level, name=f"self{level}")
    User.update(last_login_at=User.created_at,
                email_verified_at=User.created_at).where(User.id == me.id).execute()
    own = client.get(f"/users/{me.id}", headers=me.headers, status=200)
    read = client.get(f"/users/{me.id}", headers=superadmin.headers, status=200)
    assert own.body == read.body
    assert own.json["admin_level"] == level and own.json["email_verified"] is True


def test_a_keys_own_account_shows_the_stored_level(client, moderator):
    # A key without admin:read acts as a plain user; the account still shows
    # the level it holds.
    headers = key_headers(moderator.user, ["users:read"])
    res = client.get(f"/users/{moderator.id}", headers=headers, status=200)
    assert res.json["admin_level"] == "moderator"


def test_another_users_account_answers_404(client, alice, bob):
    res = client.get(f"/users/{bob.id}", headers=alice.headers, status=404)
    error_of(res, 404, "not_found")
    missing = client.get("/users/999999", headers=alice.headers, status=404)
    # Indistinguishable from an id that does not exist.
    assert res.json["error"]["message"].replace(str(bob.id), "N") == \
        missing.json["error"]["message"].replace("999999", "N")


def test_moderator_reads_any_user(client, alice, moderator):
    res = client.get(f"/users/{alice.id}", headers=moderator.headers, status=200)
    assert res.json["username"] == "alice"
    error_of(client.get("/users/999999", headers=moderator.headers, status=404), 404,
             "not_found")


# -- create --------------------------------------------------------------------
NEW_USER = {"email": "Carol@Example.com", "username": "carol", "password": PASSWORD}


def test_superadmin_creates_a_user(client, superadmin):
    res = client.post_json("/users", NEW_USER, headers=superadmin.headers, status=201)
    body = res.json
    assert (body["email"], body["role"], body["admin_level"], body["is_active"]) == (
        "carol@example.com", "user", None, True)
    assert Log.get(Log.action == "user.created").user_id == superadmin.id
    assert client.post_json("/auth/login", {"login": "carol", "password": PASSWORD},
                            status=200).json["user"]["id"] == body["id"]


def test_superadmin_creates_an_inactive_admin(client, superadmin):
    res = client.post_json("/users", {**NEW_USER, "role": "admin", "is_active": False},
                           headers=superadmin.headers, status=201)
    body = res.json
    assert (body["role"], body["admin_level"], body["is_active"]) == ("admin", "moderator",
                                                                     False)
    assert level_of(body["id"]) == "moderator"
    assert SecurityEvent.get(SecurityEvent.action == "admin_granted").user_id == body["id"]


@pytest.mark.parametrize("who", ["alice", "moderator"])
def test_only_a_superadmin_creates_users(client, alice, moderator, who):
    actor = {"alice": alice, "moderator": moderator}[who]
    res = client.post_json("/users", NEW_USER, headers=actor.headers, status=403)
    error_of(res, 403, "forbidden")
    assert not User.select().where(User.username == "carol").exists()


def test_create_duplicate_is_a_conflict(client, superadmin, alice):
    res = client.post_json("/users", {**NEW_USER, "email": "ALICE@example.com"},
                           headers=superadmin.headers, status=409)
    error_of(res, 409, "conflict")
    assert User.select().count() == 2


@pytest.mark.parametrize("method, body, path", [
    ("POST", {"password": "short"}, "$.password"),
    ("POST", {"email": "@example.com"}, "$.email"),
    ("POST", {"is_active": 1}, "$.is_active"),
    ("POST", {"admin_level": "root"}, "$.admin_level"),
    ("POST", {"last_login_at": "2024-01-01T00:00:00Z"}, "$.last_login_at"),
    ("PATCH", {"email": "nope"}, "$.email"),
    ("PATCH", {"username": ""}, "$.username"),
    ("PATCH", {"username": "u" * 65}, "$.username"),
    ("PATCH", {"role": "root"}, "$.role"),
    ("PATCH", {"password_hash": "x"}, "$.password_hash"),
])
def test_create_validation_names_the_field(client, superadmin, alice, method, body, path):
    before = snapshot(alice.id)
    if method == "POST":
        res = client.post_json("/users", {**NEW_USER, **body}, headers=superadmin.headers,
                               status=422)
    else:
        res = client.patch_json(f"/users/{alice.id}", body, headers=superadmin.headers,
                                status=422)
    assert [d["path"] for d in error_of(res, 422, "validation_error")["details"]] == [path]
    assert User.select().count() == 2
    assert snapshot(alice.id) == before


# -- change --------------------------------------------------------------------
def test_users_change_their_own_email_and_username(client, alice):
    res = client.patch_json(f"/users/{alice.id}", {"email": "Alice.New@Example.com",
                                                   "username": "alice_new"},
                            headers=alice.headers, status=200)
    assert (res.json["email"], res.json["username"]) == ("alice.new@example.com", "alice_new")
    row = fresh(alice)
    assert (row.email, row.username) == ("alice.new@example.com", "alice_new")
    audit = Log.get(Log.action == "user.updated")
    assert audit.user_id == alice.id
    assert audit.log_metadata["changes"]["username"] == ["alice", "alice_new"]
    client.post_json("/auth/login", {"login": "alice.new@example.com", "password": PASSWORD},
                     status=200)


def test_an_empty_patch_changes_nothing(client, alice):
    before = snapshot(alice.id)
    res = client.patch_json(f"/users/{alice.id}", {}, headers=alice.headers, status=200)
    assert res.json["username"] == "alice"
    assert snapshot(alice.id) == before
    assert not Log.select().where(Log.action == "user.updated").exists()


@pytest.mark.parametrize("body", [{"is_active": False}, {"role": "admin"},
                                  {"admin_level": "superadmin"},
                                  {"username": "fine", "role": "admin"}])
def test_users_cannot_change_their_own_account_fields(client, alice, body):
    before = snapshot(alice.id)
    res = client.patch_json(f"/users/{alice.id}", body, headers=alice.headers, status=403)
    error_of(res, 403, "forbidden")
    assert snapshot(alice.id) == before


@pytest.mark.parametrize("body", [{"is_active": False}, {"role": "user"}, {"username": "x"}])
def test_a_moderator_cannot_change_their_own_account_fields(client, moderator, body):
    if "username" in body:  # a moderator may rename themselves
        client.patch_json(f"/users/{moderator.id}", body, headers=moderator.headers,
                          status=200)
        assert fresh(moderator).username == "x"
        return
    before = snapshot(moderator.id)
    res = client.patch_json(f"/users/{moderator.id}", body, headers=moderator.headers,
                            status=403)
    error_of(res, 403, "forbidden")
    assert snapshot(moderator.id) == before


def test_patching_another_user(client, alice, bob, moderator):
    before = snapshot(bob.id)
    error_of(client.patch_json(f"/users/{bob.id}", {"username": "hacked"},
                               headers=alice.headers, status=404), 404, "not_found")
    error_of(client.patch_json(f"/users/{bob.id}", {"username": "hacked"},
                               headers=moderator.headers, status=403), 403, "forbidden")
    assert snapshot(bob.id) == before


def test_patch_to_a_taken_email_is_a_conflict(client, alice, bob):
    before = snapshot(alice.id)
    res = client.patch_json(f"/users/{alice.id}", {"email": "BOB@example.com"},
                            headers=alice.headers, status=409)
    error_of(res, 409, "conflict")
    assert snapshot(alice.id) == before


def test_superadmin_changes_roles_keeping_the_admins_table_in_step(client, bob, superadmin):
    res = client.patch_json(f"/users/{bob.id}", {"role": "admin"},
                            headers=superadmin.headers, status=200)
    assert (res.json["role"], res.json["admin_level"]) == ("admin", "moderator")
    assert (fresh(bob).role, level_of(bob.id)) == ("admin", "moderator")
    assert Admin.get(Admin.user == bob.id).granted_by_id == superadmin.id

    res = client.patch_json(f"/users/{bob.id}", {"admin_level": "superadmin"},
                            headers=superadmin.headers, status=200)
    assert res.json["admin_level"] == "superadmin"
    assert level_of(bob.id) == "superadmin"

    res = client.patch_json(f"/users/{bob.id}", {"role": "user"},
                            headers=superadmin.headers, status=200)
    assert (res.json["role"], res.json["admin_level"]) == ("user", None)
    assert fresh(bob).role == "user"
    assert not Admin.select().where(Admin.user == bob.id).exists()
    assert [e.action for e in SecurityEvent.select().order_by(SecurityEvent.id)] == [
        "admin_granted", "admin_granted", "admin_revoked"]
    assert [row.action for row in Log.select().order_by(Log.id)] == [
        "admin.granted", "admin.granted", "admin.revoked"]


def test_superadmin_deactivates_a_user(client, alice, superadmin):
    res = client.patch_json(f"/users/{alice.id}", {"is_active": False},
                            headers=superadmin.headers, status=200)
    assert res.json["is_active"] is False
    error_of(client.get("/auth/me", headers=alice.headers, status=401), 401, "unauthorized")
    error_of(client.post_json("/auth/login", {"login": "alice", "password": PASSWORD},
                              status=401), 401, "unauthorized")
    client.patch_json(f"/users/{alice.id}", {"is_active": True}, headers=superadmin.headers,
                      status=200)
    client.post_json("/auth/login", {"login": "alice", "password": PASSWORD}, status=200)


# -- activity ------------------------------------------------------------------
def test_activity_counts_a_users_audit_and_security_actions(client, alice, bob, moderator):
    for name in ("one.png", "two.png"):
        client.post_json("/images", {"filename": name, "format": "PNG", "width": 4,
                                     "height": 3, "color_type": "RGB", "bit_depth": 8,
                                     "file_size": 99}, headers=alice.headers, status=201)
    client.post_json("/auth/login", {"login": "alice", "password": "wrong password"},
                     status=401)
    client.post_json("/auth/login", {"login": "alice", "password": PASSWORD}, status=200)
    client.post_json("/auth/login", {"login": "bob", "password": PASSWORD}, status=200)

    res = client.get(f"/users/{alice.id}/activity", headers=alice.headers, status=200)
    assert res.json == {"user_id": alice.id, "logs": {"image.created": 2},
                        "security": {"login_failed": 1, "login_success": 1}}
    assert client.get(f"/users/{alice.id}/activity", headers=moderator.headers,
                      status=200).json == res.json
    error_of(client.get(f"/users/{alice.id}/activity", headers=bob.headers, status=404), 404,
             "not_found")
    quiet = client.get(f"/users/{moderator.id}/activity", headers=moderator.headers,
                       status=200)
    assert quiet.json == {"user_id": moderator.id, "logs": {}, "security": {}}
    assert SecurityEvent.select().where(SecurityEvent.ip != CLIENT_IP).count() == 0


def test_deactivating_a_user_revokes_their_tokens(client, alice, superadmin):
    client.get("/auth/me", headers=alice.headers, status=200)
    res = client.patch_json(f"/users/{alice.id}", {"is_active": False},
                            headers=superadmin.headers, status=200)
    assert res.json["is_active"] is False
    res = client.patch_json(f"/users/{alice.id}", {"is_active": True},
                            headers=superadmin.headers, status=200)
    assert res.json["is_active"] is True
    # Reactivated, but the old session stays dead.
    res = client.get("/auth/me", headers=alice.headers, status=401)
    assert res.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("method, path", [("POST", "/users"), ("PATCH", "/users/{id}")])
def test_role_user_with_an_admin_level_is_refused(client, alice, superadmin, method, path):
    body = {"role": "user", "admin_level": "moderator"}
    if method == "POST":
        body.update(email="new@example.com", username="newbie", password="long enough pw")
    send = client.post_json if method == "POST" else client.patch_json
    res = send(path.format(id=alice.id), body, headers=superadmin.headers, status=422)
    assert res.json["error"]["details"][0]["path"] == "$.admin_level"
    assert client.get(f"/users/{alice.id}", headers=superadmin.headers).json["role"] == "user"
