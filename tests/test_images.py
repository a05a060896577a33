"""Images: validation, the owner/size/date/format/metadata queries, paging."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from janus.errors import Conflict, NotFound, ValidationError
from janus.models import Analytics, Image
from janus.repos.images import images
from janus.repos.users import users
from tests.helpers import (
    T0,
    image_fields,
    make_analytics,
    make_image,
    make_user,
    set_time,
    spread,
    walk,
)

SHA = "AB" * 32
META = {
    "dpi": [72, 72],
    "exif": {"Make": "Canon", "Model": "EOS 5D", "ISO": 400, "Flash": False,
             "Exposure": 0.004, "Lens": {"Focal": 50}},
    "Software": "Ĝimp 2.10 — ✓",
    "gps.lat": "kept as one key",
}


def ids(query) -> set[int]:
    return {row.id for row in query}


def test_create_stores_every_field(db):
    owner = make_user()
    image = images.create(owner=owner, filename=" cat.png ", format="png", width=800, height=600,
                          color_type="RGBA", bit_depth=8, compression_method="deflate",
                          file_size=12345, sha256=SHA, storage_key="ab/cdef",
                          image_metadata=META)
    row = Image.get_by_id(image.id)
    assert (row.owner_id, row.filename, row.format) == (owner.id, "cat.png", "PNG")
    assert (row.width, row.height, row.color_type, row.bit_depth) == (800, 600, "RGBA", 8)
    assert (row.compression_method, row.file_size, row.storage_key) == ("deflate", 12345, "ab/cdef")
    assert row.sha256 == SHA.lower()
    assert row.image_metadata == META
    assert row.created_at is not None and row.updated_at is not None


def test_optional_fields_default(db):
    image = make_image(make_user())
    row = Image.get_by_id(image.id)
    assert (row.sha256, row.storage_key, row.compression_method) == (None, None, None)
    assert row.image_metadata == {}


def test_big_file_sizes_fit(db):
    image = make_image(make_user(), file_size=2**40)
    assert Image.get_by_id(image.id).file_size == 2**40


@pytest.mark.parametrize("missing", list(images.required))
def test_required_fields(db, missing):
    fields = image_fields(make_user())
    del fields[missing]
    with pytest.raises(ValidationError) as info:
        images.create(**fields)
    assert {"path": f"$.{missing}", "message": "required"} in info.value.details
    assert images.count() == 0


@pytest.mark.parametrize("field, value", [
    ("width", "abc"), ("width", 0), ("width", -5), ("width", 2**31), ("width", 1.5),
    ("width", True), ("height", 0), ("height", None), ("bit_depth", 0), ("bit_depth", "8"),
    ("file_size", 0), ("file_size", -1), ("file_size", 2**63), ("file_size", False),
    ("format", ""), ("format", "   "), ("format", None), ("format", "X" * 17),
    ("filename", ""), ("filename", 3), ("color_type", " "),
    ("sha256", "zz" * 32), ("sha256", "ab"), ("sha256", 5),
    ("image_metadata", [1, 2]), ("image_metadata", "{}"), ("storage_key", 7),
    ("image_metadata", {"x": float("nan")}), ("image_metadata", {"when": T0}),
    ("owner", "1"), ("owner", 10**30), ("owner", True), ("owner", None),
    ("created_at", T0), ("id", 5), ("bogus", 1),
])
def test_create_rejects_bad_values(db, field, value):
    fields = image_fields(make_user())
    fields[field] = value
    with pytest.raises(ValidationError) as info:
        images.create(**fields)
    assert f"$.{field}" in [d["path"] for d in info.value.details]
    assert images.count() == 0


def test_dangling_owner_is_a_validation_error(db):
    with pytest.raises(ValidationError) as info:
        make_image(999_999)
    assert info.value.status == 422
    assert images.count() == 0


def test_same_bytes_twice_for_one_owner_is_a_conflict(db):
    alice, bob = make_user(), make_user()
    make_image(alice, sha256=SHA)
    with pytest.raises(Conflict):
        make_image(alice, sha256=SHA.lower())
    make_image(bob, sha256=SHA)               # another owner may hold them
    make_image(alice), make_image(alice)      # NULL digests never collide
    assert images.count() == 4
    assert images.duplicate_of(alice, SHA).owner_id == alice.id
    assert images.duplicate_of(alice, "cd" * 32) is None
    assert images.duplicate_of(make_user(), SHA) is None


# -- update / delete ------------------------------------------------------------
def test_update(db):
    image = make_image(make_user(), image_metadata={"a": 1})
    changes = images.update_with_changes(image, {"width": 1024, "format": "jpeg",
                                                 "image_metadata": None})
    assert changes == {"width": [640, 1024], "format": ["PNG", "JPEG"],
                       "image_metadata": [{"a": 1}, {}]}
    row = Image.get_by_id(image.id)
    assert (row.width, row.format, row.image_metadata) == (1024, "JPEG", {})


@pytest.mark.parametrize("fields", [
    {"width": 10, "height": "abc"}, {"width": 10, "bogus": 1}, {"width": 10, "owner": 999_999},
    {"width": 10, "format": ""},
])
def test_bad_update_writes_nothing(db, fields):
    owner = make_user()
    image = make_image(owner)
    with pytest.raises(ValidationError):
        images.update(image.id, **fields)
    row = Image.get_by_id(image.id)
    assert (row.width, row.height, row.owner_id, row.format) == (640, 480, owner.id, "PNG")


def test_moving_an_image_to_another_owner(db):
    alice, bob = make_user(), make_user()
    image = make_image(alice)
    images.update(image, owner=bob)
    assert Image.get_by_id(image.id).owner_id == bob.id
    images.update(image, owner=alice.id)
    assert Image.get_by_id(image.id).owner_id == alice.id


def test_delete_takes_its_analytics_along(db):
    owner = make_user()
    image, other = make_image(owner), make_image(owner)
    make_analytics(image=image)
    kept = make_analytics(image=other)
    images.delete(image.id)
    with pytest.raises(NotFound):
        images.get_by_id(image.id)
    assert [a.id for a in Analytics.select()] == [kept.id]
    assert users.exists(id=owner.id)


# -- queries --------------------------------------------------------------------
def test_by_owner_and_by_format(db):
    alice, bob = make_user(), make_user()
    a_png, a_jpg = make_image(alice), make_image(alice, format="JPEG")
    b_png = make_image(bob)
    assert ids(images.by_owner(alice)) == {a_png.id, a_jpg.id}
    assert ids(images.by_owner(bob.id)) == {b_png.id}
    assert ids(images.by_format("png")) == {a_png.id, b_png.id}
    assert ids(images.by_format(" JPEG ")) == {a_jpg.id}
    assert ids(images.by_format("png", images.by_owner(alice))) == {a_png.id}
    assert ids(images.by_format("gif")) == set()


@pytest.mark.parametrize("call", [
    lambda: images.by_owner(None), lambda: images.by_owner("1"), lambda: images.by_format(""),
    lambda: images.by_format(None), lambda: images.min_size(min_width=0),
    lambda: images.min_size(min_height="5"), lambda: images.created_between(since="2024-01-01"),
    lambda: images.created_between(T0, T0), lambda: images.by_metadata("", 1),
    lambda: images.by_metadata("a..b", 1), lambda: images.by_metadata("exif", {"Make": "Canon"}),
    lambda: images.by_metadata("exif", None), lambda: images.duplicate_of(1, None),
    lambda: images.by_metadata("exif.ISO", float("nan")),
    lambda: images.by_metadata("exif.ISO", float("inf")),
])
def test_query_helpers_validate_their_arguments(db, call):
    with pytest.raises(ValidationError):
        call()


@pytest.mark.parametrize("min_width, min_height, expected", [
    (None, None, {"small", "wide", "tall", "big"}),
    (1000, None, {"wide", "big"}),
    (None, 1000, {"tall", "big"}),
    (1000, 1000, {"big"}),
    (1920, 1080, {"big"}),         # bounds are inclusive
    (1921, None, set()),
])
def test_min_size(db, min_width, min_height, expected):
    owner = make_user()
    sizes = {"small": (640, 480), "wide": (1920, 600), "tall": (600, 1920), "big": (1920, 1080)}
    names = {make_image(owner, width=w, height=h).id: name for name, (w, h) in sizes.items()}
    found = images.min_size(min_width=min_width, min_height=min_height)
    assert {names[i] for i in ids(found)} == expected


def test_created_between_is_half_open(db):
    owner = make_user()
    rows = [make_image(owner) for _ in range(4)]
    for n, row in enumerate(rows):
        set_time(row, T0 + timedelta(days=n))
    day = timedelta(days=1)
    assert ids(images.created_between(since=T0 + day)) == {r.id for r in rows[1:]}
    assert ids(images.created_between(until=T0 + day)) == {rows[0].id}
    assert ids(images.created_between(T0 + day, T0 + 3 * day)) == {rows[1].id, rows[2].id}
    # An aware bound means the same instant in UTC.
    aware = datetime(2024, 3, 2, 14, 0, tzinfo=timezone(timedelta(hours=2)))  # = T0 + 1 day
    assert ids(images.created_between(since=aware)) == {r.id for r in rows[1:]}


@pytest.mark.parametrize("key, value, matches", [
    ("Software", "Ĝimp 2.10 — ✓", True),
    ("exif.Make", "Canon", True),
    (("exif", "Make"), "Canon", True),
    ("exif.Make", "canon", False),           # exact, case-sensitive
    ("exif.ISO", 400, True),
    ("exif.ISO", "400", False),              # types matter
    ("exif.ISO", 401, False),
    ("exif.Flash", False, True),
    ("exif.Flash", 0, False),                # false is not 0
    ("exif.Exposure", 0.004, True),
    ("exif.Lens.Focal", 50, True),
    (("gps.lat",), "kept as one key", True),  # a key containing a dot
    ("gps.lat", "kept as one key", False),    # ...is not gps -> lat
    ("exif.Missing", "x", False),
    ("nothing", 1, False),
])
def test_by_metadata(db, key, value, matches):
    owner = make_user()
    image = make_image(owner, image_metadata=META)
    make_image(owner, image_metadata={"exif": {"Make": "Nikon", "ISO": 100}})
    make_image(owner)  # no metadata at all
    found = ids(images.by_metadata(key, value))
    assert found == ({image.id} if matches else set())


def test_metadata_lookups_compose_with_other_filters(db):
    alice, bob = make_user(), make_user()
    canon = {"exif": {"Make": "Canon"}}
    mine = make_image(alice, image_metadata=canon)
    make_image(bob, image_metadata=canon)
    make_image(alice, image_metadata={"exif": {"Make": "Nikon"}})
    query = images.by_metadata("exif.Make", "Canon", images.by_owner(alice))
    assert ids(query) == {mine.id}
    assert [r.id for r in images.page(query).items] == [mine.id]


def test_search_combines_every_filter(db):
    alice, bob = make_user(), make_user()
    target = make_image(alice, format="JPEG", width=2000, height=1500,
                        image_metadata={"exif": {"Make": "Canon"}})
    set_time(target, T0)
    decoys = [
        make_image(bob, format="JPEG", width=2000, height=1500,
                   image_metadata={"exif": {"Make": "Canon"}}),
        make_image(alice, format="PNG", width=2000, height=1500,
                   image_metadata={"exif": {"Make": "Canon"}}),
        make_image(alice, format="JPEG", width=100, height=1500,
                   image_metadata={"exif": {"Make": "Canon"}}),
        make_image(alice, format="JPEG", width=2000, height=1500,
                   image_metadata={"exif": {"Make": "Sony"}}),
        make_image(alice, format="JPEG", width=2000, height=1500,
                   image_metadata={"exif": {"Make": "Canon"}}),
    ]
    for decoy in decoys[:-1]:
        set_time(decoy, T0)
    set_time(decoys[-1], T0 + timedelta(days=2))  # outside the window
    query = images.search(owner=alice, format="jpeg", min_width=1000, min_height=1000,
                          since=T0 - timedelta(hours=1), until=T0 + timedelta(days=1),
                          metadata={"exif.Make": "Canon"})
    assert ids(query) == {target.id}
    assert ids(images.search()) == {target.id} | {d.id for d in decoys}


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_page(db, limit):
    alice, bob = make_user(), make_user()
    rows = [make_image(alice if n % 3 else bob) for n in range(8)]
    expected = spread(rows)
    all_ids, _ = walk(images, limit=limit)
    assert all_ids == expected
    alice_ids, _ = walk(images, images.by_owner(alice), limit=limit)
    assert alice_ids == [i for i in expected if Image.get_by_id(i).owner_id == alice.id]
