"""Images: normalisation, constraint failures, the list's filters over owner, format,
colour type, size and dates, and paging. Field types and limits are the
request Structs' (see the matrices in tests/api/test_images.py and
tests/api/test_errors.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from janus.errors import Conflict, NotFound, ValidationError
from janus.lists.images import IMAGES, ImageQuery
from janus.models import Analytics, Image, User
from janus.repos.images import images
from tests.helpers import T0, make_analytics, make_image, make_user, set_time, spread, walk

SHA = "AB" * 32
META = {
    "dpi": [72, 72],
    "exif": {"Make": "Canon", "Model": "EOS 5D", "ISO": 400, "Flash": False,
             "Exposure": 0.004, "Lens": {"Focal": 50}},
    "Software": "Ĝimp 2.10 — ✓",
    "gps.lat": "kept as one key",
}


def search(query=None, *, owner=None, since=None, until=None, **filters):
    """The images GET /images's declaration (janus.lists.images) keeps."""
    q = ImageQuery(owner_id=owner, since=since, until=until, **filters)
    return IMAGES.narrow(images.select() if query is None else query, IMAGES.given(q),
                         q.since, q.until)


def ids(query) -> set[int]:
    return {row.id for row in query}


def test_create_stores_every_field(db):
    owner = make_user()
    # The filename arrives cleaned by janus.services.images (safe_filename,
    # once per write path: tests/api/test_filenames.py).
    image = images.create(owner=owner, filename="cat.png", format="png", width=800, height=600,
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


@pytest.mark.parametrize("field", ["format", "color_type"])
@pytest.mark.parametrize("value", ["", "   "])
def test_blank_text_is_refused(db, field, value):
    # The Structs require min_length=1; white space alone is refused here,
    # after stripping, so " " cannot become an empty filter value (a blank
    # filename is the service's: tests/api/test_filenames.py).
    with pytest.raises(ValidationError) as info:
        make_image(make_user(), **{field: value})
    assert [d["path"] for d in info.value.details] == [f"$.{field}"]
    assert Image.select().count() == 0


def test_dangling_owner_is_a_validation_error(db):
    with pytest.raises(ValidationError) as info:
        make_image(999_999)
    assert info.value.status == 422
    assert Image.select().count() == 0


def test_same_bytes_twice_for_one_owner_is_a_conflict(db):
    alice, bob = make_user(), make_user()
    make_image(alice, sha256=SHA)
    with pytest.raises(Conflict):
        make_image(alice, sha256=SHA.lower())
    make_image(bob, sha256=SHA)               # another owner may hold them
    make_image(alice), make_image(alice)      # NULL digests never collide
    assert Image.select().count() == 4
    assert images.duplicate_of(alice.id, SHA).owner_id == alice.id
    assert images.duplicate_of(alice.id, SHA.lower()).owner_id == alice.id
    assert images.duplicate_of(alice.id, "cd" * 32) is None
    assert images.duplicate_of(make_user().id, SHA) is None


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
    {"width": 10, "owner": 999_999}, {"width": 10, "format": ""}, {"width": 10, "format": "  "},
])
def test_bad_update_writes_nothing(db, fields):
    owner = make_user()
    image = make_image(owner)
    with pytest.raises(ValidationError):
        images.update(image, **fields)
    row = Image.get_by_id(image.id)
    assert (row.width, row.height, row.owner_id, row.format) == (640, 480, owner.id, "PNG")
    assert (image.width, image.owner_id, image.format) == (640, owner.id, "PNG")  # object too


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
    assert User.select().where(User.id == owner.id).exists()


# -- queries --------------------------------------------------------------------
def test_search_by_owner_format_and_color_type(db):
    alice, bob = make_user(), make_user()
    a_png, a_jpg = make_image(alice), make_image(alice, format="JPEG", color_type="L")
    b_png = make_image(bob)
    assert ids(search(owner=alice.id)) == {a_png.id, a_jpg.id}
    assert ids(search(owner=bob.id)) == {b_png.id}
    assert ids(search(format="png")) == {a_png.id, b_png.id}
    assert ids(search(format=" JPEG ")) == {a_jpg.id}
    assert ids(search(format="png", owner=alice.id)) == {a_png.id}
    assert ids(search(format="gif")) == set()
    assert ids(search(color_type="L")) == {a_jpg.id}
    assert ids(search(color_type="RGB", owner=bob.id)) == {b_png.id}
    # search() narrows the query it is given (routes pass what the actor may see).
    narrowed = search(images.select().where(Image.owner == bob.id), format="PNG")
    assert ids(narrowed) == {b_png.id}


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
    found = search(min_width=min_width, min_height=min_height)
    assert {names[i] for i in ids(found)} == expected


def test_since_until_is_half_open(db):
    owner = make_user()
    rows = [make_image(owner) for _ in range(4)]
    for n, row in enumerate(rows):
        set_time(row, T0 + timedelta(days=n))
    day = timedelta(days=1)
    assert ids(search(since=T0 + day)) == {r.id for r in rows[1:]}
    assert ids(search(until=T0 + day)) == {rows[0].id}
    assert ids(search(since=T0 + day, until=T0 + 3 * day)) == {rows[1].id, rows[2].id}
    # An aware bound means the same instant in UTC.
    aware = datetime(2024, 3, 2, 14, 0, tzinfo=timezone(timedelta(hours=2)))  # = T0 + 1 day
    assert ids(search(since=aware)) == {r.id for r in rows[1:]}


@pytest.mark.parametrize("since, until", [
    (T0, T0),
    (T0 + timedelta(seconds=1), T0),
    # The same instant, one bound aware: still an empty window.
    (datetime(2024, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))), T0),
])
def test_an_empty_window_is_refused(db, since, until):
    with pytest.raises(ValidationError) as info:
        search(since=since, until=until)
    assert [d["path"] for d in info.value.details] == ["$.until"]


def test_search_combines_every_filter(db):
    alice, bob = make_user(), make_user()
    target = make_image(alice, format="JPEG", width=2000, height=1500, color_type="RGB")
    set_time(target, T0)
    decoys = [
        make_image(bob, format="JPEG", width=2000, height=1500, color_type="RGB"),
        make_image(alice, format="PNG", width=2000, height=1500, color_type="RGB"),
        make_image(alice, format="JPEG", width=100, height=1500, color_type="RGB"),
        make_image(alice, format="JPEG", width=2000, height=100, color_type="RGB"),
        make_image(alice, format="JPEG", width=2000, height=1500, color_type="CMYK"),
        make_image(alice, format="JPEG", width=2000, height=1500, color_type="RGB"),
    ]
    for decoy in decoys[:-1]:
        set_time(decoy, T0)
    set_time(decoys[-1], T0 + timedelta(days=2))  # outside the window
    query = search(owner=alice.id, format="jpeg", color_type="RGB", min_width=1000,
                   min_height=1000, since=T0 - timedelta(hours=1), until=T0 + timedelta(days=1))
    assert ids(query) == {target.id}
    assert ids(search()) == {target.id} | {d.id for d in decoys}


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_page(db, limit):
    alice, bob = make_user(), make_user()
    rows = [make_image(alice if n % 3 else bob) for n in range(8)]
    expected = spread(rows)
    all_ids, _ = walk(images, limit=limit)
    assert all_ids == expected
    alice_ids, _ = walk(images, search(owner=alice.id), limit=limit)
    assert alice_ids == [i for i in expected if Image.get_by_id(i).owner_id == alice.id]
