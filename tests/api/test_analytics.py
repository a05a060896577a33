"""/analytics over HTTP: research records, optionally about one image."""
from __future__ import annotations

from datetime import timedelta

import pytest

from janus.models import Analytics
from tests.api.helpers import assert_error, call, error_paths, ids, row_counts, walk
from tests.helpers import T0, make_analytics, make_image


def test_create_links_own_image_and_records_the_caller(client, alice):
    image = make_image(alice.id)
    res = call(client, "POST", "/analytics", alice,
               json={"research_topic": "colour", "data": {"mean": [1.5, 2, 3]},
                     "image_id": image.id})
    assert res.status_int == 201, res.text
    row = res.json
    assert (row["research_topic"], row["data"], row["image_id"], row["user_id"]) == \
        ("colour", {"mean": [1.5, 2, 3]}, image.id, alice.id)
    assert row["created_at"].endswith("Z")
    stored = Analytics.get_by_id(row["id"])
    assert (stored.user_id, stored.image_id) == (alice.id, image.id)
    again = call(client, "GET", f"/analytics/{row['id']}", alice)
    assert again.status_int == 200
    assert again.json == row


def test_data_may_be_a_list_and_image_is_optional(client, alice):
    res = call(client, "POST", "/analytics", alice,
               json={"research_topic": "histogram", "data": [1, 2, 3]})
    assert res.status_int == 201, res.text
    assert res.json["data"] == [1, 2, 3]
    assert res.json["image_id"] is None


@pytest.mark.parametrize("image_owner", ["bob", "nobody"])
def test_linking_an_image_the_caller_cannot_see_is_404(client, request, alice, image_owner):
    image_id = (make_image(request.getfixturevalue("bob").id).id
                if image_owner == "bob" else 987654)
    mine = make_analytics(user=alice.id)
    before = row_counts()
    created = call(client, "POST", "/analytics", alice,
                   json={"research_topic": "t", "data": {}, "image_id": image_id})
    assert_error(created, 404, "not_found")
    patched = call(client, "PATCH", f"/analytics/{mine.id}", alice, json={"image_id": image_id})
    assert_error(patched, 404, "not_found")
    assert row_counts() == before
    assert Analytics.get_by_id(mine.id).image_id is None


def test_admin_may_link_any_image(client, moderator, alice):
    image = make_image(alice.id)
    res = call(client, "POST", "/analytics", moderator,
               json={"research_topic": "t", "data": {}, "image_id": image.id})
    assert res.status_int == 201, res.text
    assert (res.json["image_id"], res.json["user_id"]) == (image.id, moderator.id)


@pytest.mark.parametrize("body, path", [
    ({"research_topic": "t", "data": None}, "$.data"),
    ({"research_topic": "t", "data": "text"}, "$.data"),
    ({"research_topic": "", "data": {}}, "$.research_topic"),
    ({"research_topic": "t" * 129, "data": {}}, "$.research_topic"),
    ({"research_topic": "t"}, "$"),
    ({"research_topic": "t", "data": {}, "image_id": 0}, "$.image_id"),
    ({"research_topic": "t", "data": {}, "user_id": 1}, "$.user_id"),
    ({"data": {}}, "$"),
])
def test_create_validation(client, alice, body, path):
    error = assert_error(call(client, "POST", "/analytics", alice, json=body),
                         422, "validation_error")
    assert error_paths(error) == [path]
    assert Analytics.select().count() == 0


def _catalogue(alice, bob):
    img_a, img_b = make_image(alice.id), make_image(bob.id)
    specs = [("colour", img_a, alice, 0), ("colour", None, alice, 10), ("edges", img_a, alice, 20),
             ("colour", img_b, bob, 30), ("edges", None, None, 40)]
    made = []
    for topic, image, user, minutes in specs:
        row = make_analytics(topic, image=image.id if image else None,
                             user=user.id if user else None)
        Analytics.update(created_at=T0 + timedelta(minutes=minutes)).where(
            Analytics.id == row.id).execute()
        made.append(Analytics.get_by_id(row.id))
    return made, img_a


@pytest.mark.parametrize("params, keep", [
    ({"research_topic": "colour"}, lambda r, a, img: r.research_topic == "colour"),
    ({"image_id": "IMG"}, lambda r, a, img: r.image_id == img.id),
    ({"user_id": "ALICE"}, lambda r, a, img: r.user_id == a.id),
    ({"since": "2024-03-01T12:10:00Z"},
     lambda r, a, img: r.created_at >= T0 + timedelta(minutes=10)),
    ({"until": "2024-03-01T12:30:00Z"},
     lambda r, a, img: r.created_at < T0 + timedelta(minutes=30)),
    ({"research_topic": "edges", "image_id": "IMG"},
     lambda r, a, img: r.research_topic == "edges" and r.image_id == img.id),
])
def test_list_filters(client, moderator, alice, bob, params, keep):
    made, img = _catalogue(alice, bob)
    params = {k: {"ALICE": alice.id, "IMG": img.id}.get(v, v) for k, v in params.items()}
    items, _pages = walk(client, "/analytics", moderator, limit=2, **params)
    expected = [r.id for r in sorted(made, key=lambda r: (r.created_at, r.id), reverse=True)
                if keep(r, alice, img)]
    assert expected
    assert ids(items) == expected


def test_patch_changes_topic_data_and_link(client, alice):
    image = make_image(alice.id)
    row = make_analytics("colour", {"v": 1}, user=alice.id, image=image.id)
    res = call(client, "PATCH", f"/analytics/{row.id}", alice,
               json={"research_topic": "edges", "data": [9], "image_id": None})
    assert res.status_int == 200, res.text
    assert (res.json["research_topic"], res.json["data"], res.json["image_id"]) == \
        ("edges", [9], None)
    stored = Analytics.get_by_id(row.id)
    assert (stored.research_topic, stored.data, stored.image_id) == ("edges", [9], None)


@pytest.mark.parametrize("viewer, status, code", [
    ("bob", 404, "not_found"), ("moderator", 403, "forbidden"), ("superadmin", 200, None)])
def test_patch_access(client, request, alice, viewer, status, code):
    row = make_analytics("colour", user=alice.id)
    res = call(client, "PATCH", f"/analytics/{row.id}", request.getfixturevalue(viewer),
               json={"research_topic": "taken"})
    if code:
        assert_error(res, status, code)
        assert Analytics.get_by_id(row.id).research_topic == "colour"
    else:
        assert res.status_int == 200
        assert Analytics.get_by_id(row.id).research_topic == "taken"


@pytest.mark.parametrize("viewer, status, code", [
    ("alice", 204, None), ("bob", 404, "not_found"), ("moderator", 403, "forbidden"),
    ("superadmin", 204, None)])
def test_delete(client, request, alice, viewer, status, code):
    row = make_analytics(user=alice.id)
    res = call(client, "DELETE", f"/analytics/{row.id}", request.getfixturevalue(viewer))
    if code:
        assert_error(res, status, code)
        assert Analytics.get_or_none(Analytics.id == row.id) is not None
    else:
        assert res.status_int == 204
        assert Analytics.get_or_none(Analytics.id == row.id) is None


def test_deleting_the_image_deletes_its_analytics(client, alice):
    image = make_image(alice.id)
    linked, free = make_analytics(image=image.id, user=alice.id), make_analytics(user=alice.id)
    assert call(client, "DELETE", f"/images/{image.id}", alice).status_int == 204
    assert_error(call(client, "GET", f"/analytics/{linked.id}", alice), 404, "not_found")
    assert call(client, "GET", f"/analytics/{free.id}", alice).status_int == 200
