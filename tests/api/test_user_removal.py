"""HTTP tests for deleting users (what goes with them, what stays), and the
rule that the last superadmin stays."""
from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage

from janus.models import Admin, AuthToken, Image, Log, SecurityEvent, User
from janus.services.admins import level_of
from tests.api.helpers import PASSWORD, snapshot
from tests.api.helpers import assert_error as error_of
from tests.helpers import make_image
from tests.storage import backing_dir


def png(colour: str) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (8, 6), colour).save(out, "PNG")
    return out.getvalue()


def upload(client, actor, data: bytes) -> dict:
    return client.post("/images", upload_files=[("file", "pic.png", data)],
                       headers=actor.headers, status=201).json


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
    root = backing_dir(app.config["janus.config"])
    own = upload(client, alice, png("red"))
    shared = upload(client, alice, png("blue"))
    bobs = upload(client, bob, png("blue"))  # the same bytes: one stored file
    own_key = Image.get_by_id(own["id"]).storage_key
    shared_key = Image.get_by_id(shared["id"]).storage_key
    assert shared_key == Image.get_by_id(bobs["id"]).storage_key
    assert (root / own_key).is_file() and (root / shared_key).is_file()

    client.delete(f"/users/{alice.id}", headers=superadmin.headers, status=204)

    assert not (root / own_key).exists()
    assert (root / shared_key).is_file()
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
    url = path.format(uid=superadmin.id, aid=Admin.get(Admin.user == superadmin.id).id)
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
    url = path.format(uid=superadmin.id, aid=Admin.get(Admin.user == superadmin.id).id)
    res = _send(client, method, url, body, superadmin.headers, (200, 204))
    assert res.status_int in (200, 204)
    row = User.get_or_none(User.id == superadmin.id)
    assert row is None or not row.is_active or level_of(row.id) != "superadmin"


@pytest.mark.parametrize("method, path, body", LAST_SUPERADMIN_CHANGES,
                         ids=[f"{m} {p} {b}" for m, p, b in LAST_SUPERADMIN_CHANGES])
def test_a_deactivated_superadmin_does_not_count(client, superadmin, make_actor, method,
                                                 path, body):
    """A superadmin who cannot log in cannot manage anything: the last
    *active* one stays."""
    make_actor("superadmin", active=False, name="dormant")
    before = snapshot(superadmin.id)
    url = path.format(uid=superadmin.id, aid=Admin.get(Admin.user == superadmin.id).id)
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
    client.delete(f"/admins/{Admin.get(Admin.user == other.id).id}", headers=superadmin.headers,
                  status=204)
    client.delete(f"/users/{other.id}", headers=superadmin.headers, status=204)
