"""Analytics: JSON data, topic normalisation, topic/image/user lookups,
cascades. Shapes and limits of what a client sends are AnalyticsCreateIn's
and AnalyticsPatchIn's (tests/api/test_analytics.py)."""
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


@pytest.mark.parametrize("topic", ["", "   "])
def test_blank_topic_is_refused(db, topic):
    with pytest.raises(ValidationError) as info:
        analytics.create(research_topic=topic, data={"n": 1})
    assert [d["path"] for d in info.value.details] == ["$.research_topic"]
    assert Analytics.select().count() == 0


def test_missing_data_is_a_validation_error(db):
    # data is NOT NULL: the constraint failure is a typed error, not a crash.
    with pytest.raises(ValidationError):
        analytics.create(research_topic="colour", data=None)
    assert Analytics.select().count() == 0


@pytest.mark.parametrize("ref", ["image", "user"])
def test_dangling_references_are_validation_errors(db, ref):
    with pytest.raises(ValidationError):
        make_analytics(**{ref: 999_999})
    assert Analytics.select().count() == 0


def test_update(db):
    row = make_analytics(data={"n": 1})
    analytics.update(row.id, data=[1, 2], research_topic="texture")
    stored = Analytics.get_by_id(row.id)
    assert (stored.data, stored.research_topic) == ([1, 2], "texture")
    with pytest.raises(ValidationError):
        analytics.update(row, data=None)       # NOT NULL stays NOT NULL
    with pytest.raises(ValidationError):
        analytics.update(row, image=999_999)   # dangling reference
    with pytest.raises(ValidationError):
        analytics.update(row, research_topic=" ")
    stored = Analytics.get_by_id(row.id)
    assert (stored.data, stored.image_id, stored.research_topic) == ([1, 2], None, "texture")


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
def test_by_topic_image_and_user(db):
    alice, bob = make_user(), make_user()
    cat, dog = make_image(alice), make_image(bob)
    a = make_analytics("colour", {"mean": 0.5, "model": {"name": "v2"}}, image=cat, user=alice)
    b = make_analytics("colour", {"mean": 0.7}, image=dog, user=bob)
    c = make_analytics("texture", {"model": {"name": "v2"}}, image=cat)
    d = make_analytics("texture", [1, 2, 3])
    everything = analytics.select()
    assert ids(analytics.by_topic("colour", everything)) == {a.id, b.id}
    assert ids(analytics.by_topic(" texture ", everything)) == {c.id, d.id}
    assert ids(analytics.by_image(cat.id, everything)) == {a.id, c.id}
    assert ids(analytics.by_image(dog.id, everything)) == {b.id}
    assert ids(analytics.by_user(alice.id, everything)) == {a.id}
    assert ids(analytics.by_user(None, everything)) == {c.id, d.id}
    assert ids(analytics.by_image(cat.id, analytics.by_topic("texture", everything))) == {c.id}
    assert ids(analytics.by_user(bob.id, analytics.by_topic("texture", everything))) == set()


def test_newest_by_topic_and_since(db):
    rows = [make_analytics("colour" if n % 4 else "texture") for n in range(8)]
    expected = spread(rows)
    colour = [i for i in expected if Analytics.get_by_id(i).research_topic == "colour"]

    def page_ids(query=None, limit=50):
        return [r.id for r in analytics.page(query, limit=limit).items]

    by_colour = analytics.by_topic("colour", analytics.select())
    assert page_ids(by_colour) == colour
    assert page_ids(by_colour, limit=2) == colour[:2]
    since = T0 + timedelta(seconds=1)
    newer = {r.id for r in Analytics.select().where(Analytics.created_at >= since)}
    assert page_ids(analytics.since(by_colour, since)) == [i for i in colour if i in newer]
    assert page_ids(limit=3) == expected[:3]


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_page(db, limit):
    rows = [make_analytics("colour" if n % 2 else "texture") for n in range(8)]
    expected = spread(rows)
    assert walk(analytics, limit=limit)[0] == expected
    texture = {r.id for r in rows if r.research_topic == "texture"}
    assert walk(analytics, analytics.by_topic("texture", analytics.select()), limit=limit)[0] == \
        [i for i in expected if i in texture]
