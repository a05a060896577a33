"""HTTP tests for /admins: admins read, a superadmin grants, changes and revokes;
every grant and revoke writes an audit row and a security row."""
from __future__ import annotations

import pytest

from janus.models import Admin, Log, SecurityEvent, User
from janus.services.admins import level_of
from tests.api.helpers import CLIENT_IP
from tests.api.helpers import assert_error as error_of

UA = {"User-Agent": "janus-tests/admins"}


def admin_id(actor) -> int:
    return Admin.get(Admin.user == actor.id).id


def state() -> tuple:
    """Everything a refused admin change must leave alone."""
    return (sorted((u.id, u.role) for u in User.select()),
            sorted((a.user_id, a.admin_level) for a in Admin.select()),
            Log.select().count(), SecurityEvent.select().count())


# -- read ----------------------------------------------------------------------
@pytest.mark.parametrize("who", ["moderator", "superadmin"])
def test_admins_list_and_read_admins(client, alice, moderator, superadmin, who):
    actor = {"moderator": moderator, "superadmin": superadmin}[who]
    res = client.get("/admins", headers=actor.headers, status=200)
    items = res.json["items"]
    assert [(i["user_id"], i["username"], i["admin_level"]) for i in items] == [
        (superadmin.id, "root", "superadmin"), (moderator.id, "mod", "moderator")]
    assert res.json["next_cursor"] is None
    one = client.get(f"/admins/{items[1]['id']}", headers=actor.headers, status=200).json
    assert one == items[1]
    assert one["email"] == "mod@example.com"


@pytest.mark.parametrize("level, expected", [("moderator", ["mod"]),
                                             ("superadmin", ["root"])])
def test_list_filters_by_level(client, moderator, superadmin, level, expected):
    res = client.get("/admins", {"admin_level": level}, headers=moderator.headers, status=200)
    assert [item["username"] for item in res.json["items"]] == expected


def test_list_pages(client, superadmin, make_actor):
    made = [make_actor("moderator") for _ in range(4)]
    seen, cursor = [], None
    for _ in range(5):
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        res = client.get("/admins", query, headers=superadmin.headers, status=200)
        seen += [item["user_id"] for item in res.json["items"]]
        cursor = res.json["next_cursor"]
        if cursor is None:
            break
    assert seen == [actor.id for actor in reversed(made)] + [superadmin.id]


def test_plain_users_cannot_read_admins(client, alice, moderator):
    error_of(client.get("/admins", headers=alice.headers, status=403), 403, "forbidden")
    error_of(client.get(f"/admins/{admin_id(moderator)}", headers=alice.headers, status=403),
             403, "forbidden")


def test_unknown_admin_is_404(client, moderator):
    error_of(client.get("/admins/999999", headers=moderator.headers, status=404), 404,
             "not_found")


# -- grant ---------------------------------------------------------------------
@pytest.mark.parametrize("level", ["moderator", "superadmin"])
def test_superadmin_grants_admin_rights(client, alice, superadmin, level):
    res = client.post_json("/admins", {"user_id": alice.id, "admin_level": level},
                           headers={**superadmin.headers, **UA}, status=201)
    body = res.json
    assert (body["user_id"], body["username"], body["admin_level"], body["granted_by_id"]) == (
        alice.id, "alice", level, superadmin.id)
    assert User.get_by_id(alice.id).role == "admin"
    assert Admin.get(Admin.user == alice.id).id == body["id"]
    me = client.get("/auth/me", headers=alice.headers, status=200).json
    assert (me["role"], me["admin_level"]) == ("admin", level)

    audit = Log.get(Log.action == "admin.granted")
    assert audit.user_id == superadmin.id
    assert audit.log_metadata["object_id"] == body["id"]
    assert audit.log_metadata["changes"] == {"user_id": alice.id, "admin_level": [None, level]}
    event = SecurityEvent.get(SecurityEvent.action == "admin_granted")
    assert (event.user_id, event.account) == (alice.id, "alice@example.com")
    assert (event.ip, event.user_agent) == (CLIENT_IP, UA["User-Agent"])
    assert event.security_metadata["by_user_id"] == superadmin.id
    assert event.security_metadata["admin_level"] == level


def test_grant_defaults_to_moderator(client, alice, superadmin):
    res = client.post_json("/admins", {"user_id": alice.id}, headers=superadmin.headers,
                           status=201)
    assert res.json["admin_level"] == "moderator"


@pytest.mark.parametrize("who", ["alice", "moderator"])
def test_only_a_superadmin_grants(client, alice, bob, moderator, who):
    actor = {"alice": alice, "moderator": moderator}[who]
    before = state()
    res = client.post_json("/admins", {"user_id": bob.id, "admin_level": "superadmin"},
                           headers=actor.headers, status=403)
    error_of(res, 403, "forbidden")
    assert state() == before


@pytest.mark.parametrize("who", ["moderator", "superadmin"])
def test_granting_an_admin_again_is_a_conflict(client, moderator, superadmin, who):
    target = {"moderator": moderator, "superadmin": superadmin}[who]
    before = state()
    res = client.post_json("/admins", {"user_id": target.id, "admin_level": "moderator"},
                           headers=superadmin.headers, status=409)
    error_of(res, 409, "conflict")
    assert state() == before


def test_granting_an_unknown_user_is_404(client, superadmin):
    before = state()
    res = client.post_json("/admins", {"user_id": 999999}, headers=superadmin.headers,
                           status=404)
    error_of(res, 404, "not_found")
    assert state() == before


@pytest.mark.parametrize("body, path", [
    ({"user_id": 1, "admin_level": "owner"}, "$.admin_level"),
    ({"user_id": 0}, "$.user_id"),
    ({"user_id": "1"}, "$.user_id"),
    ({"admin_level": "moderator"}, "$"),
])
def test_grant_validation(client, superadmin, body, path):
    res = client.post_json("/admins", body, headers=superadmin.headers, status=422)
    assert error_of(res, 422, "validation_error")["details"][0]["path"] == path


# -- change level ----------------------------------------------------------------
def test_superadmin_changes_an_admin_level(client, moderator, superadmin):
    row_id = admin_id(moderator)
    res = client.patch_json(f"/admins/{row_id}", {"admin_level": "superadmin"},
                            headers={**superadmin.headers, **UA}, status=200)
    assert (res.json["id"], res.json["admin_level"]) == (row_id, "superadmin")
    assert level_of(moderator.id) == "superadmin"
    audit = Log.get(Log.action == "admin.granted")
    assert audit.log_metadata["changes"]["admin_level"] == ["moderator", "superadmin"]
    event = SecurityEvent.get(SecurityEvent.action == "admin_granted")
    assert event.user_id == moderator.id
    assert event.security_metadata["previous_level"] == "moderator"
    # And back down again: there are two superadmins now.
    client.patch_json(f"/admins/{row_id}", {"admin_level": "moderator"},
                      headers=superadmin.headers, status=200)
    assert level_of(moderator.id) == "moderator"


def test_patching_to_the_same_level_writes_nothing(client, moderator, superadmin):
    before = state()
    res = client.patch_json(f"/admins/{admin_id(moderator)}", {"admin_level": "moderator"},
                            headers=superadmin.headers, status=200)
    assert res.json["admin_level"] == "moderator"
    assert state() == before


@pytest.mark.parametrize("who, status, code", [("alice", 403, "forbidden"),
                                               ("moderator", 403, "forbidden")])
def test_only_a_superadmin_changes_levels(client, alice, moderator, superadmin, who, status,
                                          code):
    actor = {"alice": alice, "moderator": moderator}[who]
    before = state()
    res = client.patch_json(f"/admins/{admin_id(moderator)}", {"admin_level": "superadmin"},
                            headers=actor.headers, status=status)
    error_of(res, status, code)
    assert state() == before


def test_patch_validation_and_unknown_admin(client, superadmin, moderator):
    res = client.patch_json(f"/admins/{admin_id(moderator)}", {"admin_level": "owner"},
                            headers=superadmin.headers, status=422)
    assert error_of(res, 422, "validation_error")["details"][0]["path"] == "$.admin_level"
    error_of(client.patch_json("/admins/999999", {"admin_level": "moderator"},
                               headers=superadmin.headers, status=404), 404, "not_found")


# -- revoke --------------------------------------------------------------------
def test_superadmin_revokes_admin_rights(client, moderator, superadmin):
    row_id = admin_id(moderator)
    res = client.delete(f"/admins/{row_id}", headers={**superadmin.headers, **UA}, status=204)
    assert res.body == b""
    assert User.get_by_id(moderator.id).role == "user"
    assert not Admin.select().where(Admin.user == moderator.id).exists()
    me = client.get("/auth/me", headers=moderator.headers, status=200).json
    assert (me["role"], me["admin_level"]) == ("user", None)
    error_of(client.get("/admins", headers=moderator.headers, status=403), 403, "forbidden")
    error_of(client.get(f"/admins/{row_id}", headers=superadmin.headers, status=404), 404,
             "not_found")

    audit = Log.get(Log.action == "admin.revoked")
    assert audit.user_id == superadmin.id
    assert audit.log_metadata["changes"] == {"user_id": moderator.id,
                                             "admin_level": ["moderator", None]}
    event = SecurityEvent.get(SecurityEvent.action == "admin_revoked")
    assert (event.user_id, event.ip, event.user_agent) == (moderator.id, CLIENT_IP,
                                                          UA["User-Agent"])
    assert event.security_metadata["by_user_id"] == superadmin.id


@pytest.mark.parametrize("who", ["alice", "moderator"])
def test_only_a_superadmin_revokes(client, alice, moderator, make_actor, who):
    actor = {"alice": alice, "moderator": moderator}[who]
    target = make_actor("moderator", name="target")
    before = state()
    res = client.delete(f"/admins/{admin_id(target)}", headers=actor.headers, status=403)
    error_of(res, 403, "forbidden")
    assert state() == before


def test_revoking_an_unknown_admin_is_404(client, superadmin):
    error_of(client.delete("/admins/999999", headers=superadmin.headers, status=404), 404,
             "not_found")


def test_a_superadmin_can_revoke_another_superadmin(client, superadmin, make_actor):
    other = make_actor("superadmin", name="root2")
    client.delete(f"/admins/{admin_id(other)}", headers=superadmin.headers, status=204)
    assert User.get_by_id(other.id).role == "user"
    # Now the remaining one is the last: revoking them is refused.
    before = state()
    res = client.delete(f"/admins/{admin_id(superadmin)}", headers=superadmin.headers,
                        status=409)
    error_of(res, 409, "conflict")
    assert state() == before
