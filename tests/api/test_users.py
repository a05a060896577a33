"""HTTP tests for /users: list, get, create, change, delete, activity, and the
rule that the last superadmin stays."""
from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage

from janus.models import Admin, AuthToken, Image, Log, SecurityEvent, User
from janus.repos.admins import admins
from janus.uploads import file_store
from tests.api.helpers import CLIENT_IP, PASSWORD
from tests.helpers import make_image
from tests.api.helpers import assert_error as error_of


def fresh(actor_or_user) -> User:
    return User.get_by_id(actor_or_user.id)


def snapshot(user_id: int) -> dict:
    """A user's row and admin row, to show a refused change changed nothing."""
    user = User.get_by_id(user_id)
    admin = Admin.get_or_none(Admin.user == user_id)
    return {**user.__data__, "admin_level": admin.admin_level if admin else None}


def png(colour: str) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (8, 6), colour).save(out, "PNG")
    return out.getvalue()


def upload(client, actor, data: bytes) -> dict:
    return client.post("/images", upload_files=[("file", "pic.png", data)],
                       headers=actor.headers, status=201).json


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
    assert admins.level_of(body["id"]) == "moderator"
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


def test_create_validation_names_the_field(client, superadmin):
    res = client.post_json("/users", {**NEW_USER, "password": "short"},
                           headers=superadmin.headers, status=422)
    assert error_of(res, 422, "validation_error")["details"][0]["path"] == "$.password"


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
    assert (fresh(bob).role, admins.level_of(bob.id)) == ("admin", "moderator")
    assert Admin.get(Admin.user == bob.id).granted_by_id == superadmin.id

    res = client.patch_json(f"/users/{bob.id}", {"admin_level": "superadmin"},
                            headers=superadmin.headers, status=200)
    assert res.json["admin_level"] == "superadmin"
    assert admins.level_of(bob.id) == "superadmin"

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


# -- delete --------------------------------------------------------------------
def test_users_delete_themselves(client, alice):
    res = client.delete(f"/users/{alice.id}", headers=alice.headers, status=204)
    assert res.body == b""
    assert not User.select().where(User.id == alice.id).exists()
    error_of(client.get("/auth/me", headers=alice.headers, status=401), 401, "unauthorized")
    audit = Log.get(Log.action == "user.deleted")
    assert audit.user_id is None and audit.log_metadata["object_id"] == alice.id


def test_deleting_another_user_needs_a_superadmin(client, alice, bob, moderator):
    error_of(client.delete(f"/users/{alice.id}", headers=bob.headers, status=404), 404,
             "not_found")
    error_of(client.delete(f"/users/{alice.id}", headers=moderator.headers, status=403), 403,
             "forbidden")
    assert User.select().where(User.id == alice.id).exists()
    client.get("/auth/me", headers=alice.headers, status=200)


def test_superadmin_deletes_a_user_images_and_tokens_go_logs_stay(client, alice, bob,
                                                                  superadmin):
    created = client.post_json("/images", {"filename": "a.png", "format": "PNG", "width": 4,
                                           "height": 3, "color_type": "RGB", "bit_depth": 8,
                                           "file_size": 99},
                               headers=alice.headers, status=201).json
    make_image(alice.user)
    bobs = make_image(bob.user)
    client.post_json("/auth/login", {"login": "alice", "password": PASSWORD}, status=200)
    alice_logs = [row.id for row in Log.select().where(Log.user == alice.id)]
    alice_events = [row.id for row in SecurityEvent.select().where(
        SecurityEvent.user == alice.id)]
    assert alice_logs and alice_events

    client.delete(f"/users/{alice.id}", headers=superadmin.headers, status=204)

    assert not User.select().where(User.id == alice.id).exists()
    assert not Image.select().where(Image.owner == alice.id).exists()
    assert Image.get_by_id(bobs.id).owner_id == bob.id
    assert not AuthToken.select().where(AuthToken.user == alice.id).exists()
    error_of(client.get("/auth/me", headers=alice.headers, status=401), 401, "unauthorized")
    error_of(client.get(f"/images/{created['id']}", headers=superadmin.headers, status=404),
             404, "not_found")
    # The audit trail and security rows outlive her, with no user.
    kept = list(Log.select().where(Log.id.in_(alice_logs)))
    assert len(kept) == len(alice_logs) and {row.user_id for row in kept} == {None}
    events = list(SecurityEvent.select().where(SecurityEvent.id.in_(alice_events)))
    assert len(events) == len(alice_events) and {e.user_id for e in events} == {None}
    deleted = Log.get(Log.action == "user.deleted")
    assert deleted.user_id == superadmin.id
    assert deleted.log_metadata["object_id"] == alice.id
    client.get("/auth/me", headers=bob.headers, status=200)


def test_deleting_an_admin_removes_the_admin_row(client, moderator, superadmin):
    client.delete(f"/users/{moderator.id}", headers=superadmin.headers, status=204)
    assert not Admin.select().where(Admin.user == moderator.id).exists()


def test_deleting_a_user_removes_their_files_but_not_shared_ones(app, client, alice, bob,
                                                                superadmin):
    store = file_store(app.config["janus.config"])
    own = upload(client, alice, png("red"))
    shared = upload(client, alice, png("blue"))
    bobs = upload(client, bob, png("blue"))  # the same bytes: one stored file
    own_key = Image.get_by_id(own["id"]).storage_key
    shared_key = Image.get_by_id(shared["id"]).storage_key
    assert shared_key == Image.get_by_id(bobs["id"]).storage_key
    assert store.path(own_key).is_file() and store.path(shared_key).is_file()

    client.delete(f"/users/{alice.id}", headers=superadmin.headers, status=204)

    assert not store.path(own_key).exists()
    assert store.path(shared_key).is_file()
    res = client.get(f"/images/{bobs['id']}/file", headers=bob.headers, status=200)
    assert res.body == png("blue")


# -- the last superadmin stays -----------------------------------------------------
LAST_SUPERADMIN_CHANGES = [
    ("delete", "/users/{uid}", None),
    ("patch", "/users/{uid}", {"is_active": False}),
    ("patch", "/users/{uid}", {"role": "user"}),
    ("patch", "/users/{uid}", {"admin_level": "moderator"}),
    ("patch", "/users/{uid}", {"username": "renamed", "is_active": False}),
    ("delete", "/admins/{aid}", None),
    ("patch", "/admins/{aid}", {"admin_level": "moderator"}),
]


def _send(client, method, path, body, headers, status):
    if method == "delete":
        return client.delete(path, headers=headers, status=status)
    return client.patch_json(path, body, headers=headers, status=status)


@pytest.mark.parametrize("method, path, body", LAST_SUPERADMIN_CHANGES,
                         ids=[f"{m} {p} {b}" for m, p, b in LAST_SUPERADMIN_CHANGES])
def test_the_last_superadmin_cannot_be_removed(client, superadmin, moderator, method, path,
                                               body):
    before = snapshot(superadmin.id)
    logs_before, events_before = Log.select().count(), SecurityEvent.select().count()
    url = path.format(uid=superadmin.id, aid=admins.for_user(superadmin.id).id)
    res = _send(client, method, url, body, superadmin.headers, 409)
    error_of(res, 409, "conflict")
    assert snapshot(superadmin.id) == before
    assert (Log.select().count(), SecurityEvent.select().count()) == (logs_before,
                                                                      events_before)
    assert client.get("/auth/me", headers=superadmin.headers, status=200).json[
        "admin_level"] == "superadmin"


@pytest.mark.parametrize("method, path, body", LAST_SUPERADMIN_CHANGES,
                         ids=[f"{m} {p} {b}" for m, p, b in LAST_SUPERADMIN_CHANGES])
def test_a_superadmin_can_go_when_another_remains(client, superadmin, make_actor, method,
                                                  path, body):
    make_actor("superadmin", name="root2")
    url = path.format(uid=superadmin.id, aid=admins.for_user(superadmin.id).id)
    res = _send(client, method, url, body, superadmin.headers, (200, 204))
    assert res.status_int in (200, 204)
    row = User.get_or_none(User.id == superadmin.id)
    assert row is None or not row.is_active or admins.level_of(row.id) != "superadmin"


@pytest.mark.parametrize("method, path, body", LAST_SUPERADMIN_CHANGES,
                         ids=[f"{m} {p} {b}" for m, p, b in LAST_SUPERADMIN_CHANGES])
def test_a_deactivated_superadmin_does_not_count(client, superadmin, make_actor, method,
                                                 path, body):
    """A superadmin who cannot log in cannot manage anything: the last
    *active* one stays."""
    make_actor("superadmin", active=False, name="dormant")
    before = snapshot(superadmin.id)
    url = path.format(uid=superadmin.id, aid=admins.for_user(superadmin.id).id)
    res = _send(client, method, url, body, superadmin.headers, 409)
    error_of(res, 409, "conflict")
    assert snapshot(superadmin.id) == before


def test_deactivating_the_other_superadmin_leaves_one_active(client, superadmin, make_actor):
    other = make_actor("superadmin", name="root2")
    client.patch_json(f"/users/{other.id}", {"is_active": False}, headers=superadmin.headers,
                      status=200)
    # root2 is inactive now, so root is the last one who can act.
    res = client.patch_json(f"/users/{superadmin.id}", {"is_active": False},
                            headers=superadmin.headers, status=409)
    error_of(res, 409, "conflict")
    # ... while root2 itself, inactive, may still be demoted or deleted.
    client.delete(f"/admins/{admins.for_user(other.id).id}", headers=superadmin.headers,
                  status=204)
    client.delete(f"/users/{other.id}", headers=superadmin.headers, status=204)


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
