"""Analytics: required JSON data, topic/image/user lookups, cascades."""
from __future__ import annotations

from datetime import timedelta

import pytest

from janus.errors import NotFound, ValidationError
from janus.models import Analytics
from janus.repos.analytics import analytics
from janus.repos.images import images
from janus.repos.users import users
from tests.helpers import T0, make_analytics, make_image, make_user, spread, walk


def ids(query) -> set[int]:
    return {row.id for row in query}


@pytest.mark.parametrize("data", [
    {"histogram": [1, 2, 3], "mean": 0.5, "label": "ünïcödé"},
    [{"x": 1}, {"x": 2}],
    {},
    [],
])
def test_create_stores_json_data(db, data):
    user = make_user()
    image = make_image(user)
    row = Analytics.get_by_id(analytics.create(research_topic=" colour ", data=data,
                                               image=image, user=user.id).id)
    assert (row.research_topic, row.data) == ("colour", data)
    assert (row.image_id, row.user_id) == (image.id, user.id)


def test_image_and_user_are_optional(db):
    row = Analytics.get_by_id(make_analytics().id)
    assert (row.image_id, row.user_id) == (None, None)


@pytest.mark.parametrize("fields, path", [
    ({"data": None}, "$.data"),
    ({"data": "text"}, "$.data"),
    ({"data": 5}, "$.data"),
    ({"data": [float("inf")]}, "$.data"),
    ({"data": {"set": {1, 2}}}, "$.data"),
    ({"research_topic": ""}, "$.research_topic"),
    ({"research_topic": "t" * 129}, "$.research_topic"),
    ({"research_topic": None}, "$.research_topic"),
    ({"image": "3"}, "$.image"),
    ({"user": True}, "$.user"),
    ({"created_at": T0}, "$.created_at"),
])
def test_create_rejects_bad_input(db, fields, path):
    with pytest.raises(ValidationError) as info:
        analytics.create(**{"research_topic": "colour", "data": {"n": 1}, **fields})
    assert path in [d["path"] for d in info.value.details]
    assert analytics.count() == 0


@pytest.mark.parametrize("missing", ["research_topic", "data"])
def test_required_fields(db, missing):
    fields = {"research_topic": "colour", "data": {"n": 1}}
    del fields[missing]
    with pytest.raises(ValidationError) as info:
        analytics.create(**fields)
    assert {"path": f"$.{missing}", "message": "required"} in info.value.details


@pytest.mark.parametrize("ref", ["image", "user"])
def test_dangling_references_are_validation_errors(db, ref):
    with pytest.raises(ValidationError):
        make_analytics(**{ref: 999_999})
    assert analytics.count() == 0


def test_update(db):
    row = make_analytics(data={"n": 1})
    analytics.update(row.id, data=[1, 2], research_topic="texture")
    stored = Analytics.get_by_id(row.id)
    assert (stored.data, stored.research_topic) == ([1, 2], "texture")
    with pytest.raises(ValidationError):
        analytics.update(row, data=None)       # required stays required
    with pytest.raises(ValidationError):
        analytics.update(row, image=999_999)
    assert Analytics.get_by_id(row.id).data == [1, 2]


def test_delete(db):
    row = make_analytics()
    analytics.delete(row)
    with pytest.raises(NotFound):
        analytics.get_by_id(row.id)


def test_cascades(db):
    alice, bob = make_user(), make_user()
    image = make_image(alice)
    on_image = make_analytics(image=image, user=bob)
    by_bob = make_analytics(user=bob)
    users.delete(bob)
    assert Analytics.get_by_id(by_bob.id).user_id is None
    assert Analytics.get_by_id(on_image.id).user_id is None
    images.delete(image)
    assert ids(Analytics.select()) == {by_bob.id}


# -- lookups ------------------------------------------------------------------
def test_by_topic_image_user_and_data(db):
    alice, bob = make_user(), make_user()
    cat, dog = make_image(alice), make_image(bob)
    a = make_analytics("colour", {"mean": 0.5, "model": {"name": "v2"}}, image=cat, user=alice)
    b = make_analytics("colour", {"mean": 0.7}, image=dog, user=bob)
    c = make_analytics("texture", {"model": {"name": "v2"}}, image=cat)
    d = make_analytics("texture", [1, 2, 3])
    assert ids(analytics.by_topic("colour")) == {a.id, b.id}
    assert ids(analytics.by_topic(" texture ")) == {c.id, d.id}
    assert ids(analytics.by_image(cat)) == {a.id, c.id}
    assert ids(analytics.by_image(dog.id)) == {b.id}
    assert ids(analytics.by_user(alice)) == {a.id}
    assert ids(analytics.by_user(None)) == {c.id, d.id}
    assert ids(analytics.by_data("mean", 0.7)) == {b.id}
    assert ids(analytics.by_data("model.name", "v2")) == {a.id, c.id}
    assert ids(analytics.by_data("model.name", "v2", analytics.by_topic("texture"))) == {c.id}
    assert ids(analytics.by_image(cat, analytics.by_topic("texture"))) == {c.id}
    assert analytics.topics() == {"colour": 2, "texture": 2}


@pytest.mark.parametrize("call", [
    lambda: analytics.by_topic(""), lambda: analytics.by_image(None),
    lambda: analytics.by_image("1"), lambda: analytics.by_user("x"),
    lambda: analytics.by_data("", 1), lambda: analytics.recent_by_topic("colour", limit=0),
])
def test_lookups_validate_their_arguments(db, call):
    with pytest.raises(ValidationError):
        call()


def test_recent_by_topic(db):
    rows = [make_analytics("colour" if n % 4 else "texture") for n in range(8)]
    expected = spread(rows)
    colour = [i for i in expected if Analytics.get_by_id(i).research_topic == "colour"]
    assert [r.id for r in analytics.recent_by_topic("colour")] == colour
    assert [r.id for r in analytics.recent_by_topic("colour", limit=2)] == colour[:2]
    since = T0 + timedelta(seconds=1)
    newer = {r.id for r in Analytics.select().where(Analytics.created_at >= since)}
    assert [r.id for r in analytics.recent_by_topic("colour", since=since)] == \
        [i for i in colour if i in newer]
    assert [r.id for r in analytics.recent(limit=3)] == expected[:3]


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_page(db, limit):
    rows = [make_analytics("colour" if n % 2 else "texture") for n in range(8)]
    expected = spread(rows)
    assert walk(analytics, limit=limit)[0] == expected
    texture = {r.id for r in rows if r.research_topic == "texture"}
    assert walk(analytics, analytics.by_topic("texture"), limit=limit)[0] == \
        [i for i in expected if i in texture]
