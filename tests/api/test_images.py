"""/images over HTTP: metadata records, visibility, filters, keyset pages."""
from __future__ import annotations

from datetime import timedelta

import pytest
from msgspec import UNSET

from janus.models import Image
from tests.api.helpers import assert_error, call, error_paths, ids, image_body, walk
from tests.helpers import T0, make_image, spread


def test_create_returns_the_record_owned_by_the_caller(client, alice):
    body = image_body(format="png", image_metadata={"dpi": [72, 72]},
                      sha256="AB" * 32, compression_method="deflate")
    res = call(client, "POST", "/images", alice, json=body)
    assert res.status_int == 201, res.text
    image = res.json
    assert image["owner_id"] == alice.id
    assert image["format"] == "PNG"
    assert image["sha256"] == "ab" * 32
    assert image["has_file"] is False
    assert image["image_metadata"] == {"dpi": [72, 72]}
    assert {k: image[k] for k in ("filename", "width", "height", "color_type", "bit_depth",
                                   "file_size", "compression_method")} == \
        {k: body[k] for k in ("filename", "width", "height", "color_type", "bit_depth",
                              "file_size", "compression_method")}
    assert image["created_at"].endswith("Z")
    stored = Image.get_by_id(image["id"])
    assert stored.owner_id == alice.id and stored.storage_key is None

    again = call(client, "GET", f"/images/{image['id']}", alice)
    assert again.status_int == 200
    assert again.json == image


def test_owner_cannot_be_chosen_by_the_client(client, alice, bob):
    res = call(client, "POST", "/images", alice, json=image_body(owner_id=bob.id))
    error = assert_error(res, 422, "validation_error")
    assert error_paths(error) == ["$.owner_id"]
    assert Image.select().count() == 0


def test_same_bytes_twice_for_one_owner_is_a_conflict(client, alice, bob):
    digest = "0f" * 32
    assert call(client, "POST", "/images", alice, json=image_body(sha256=digest)).status_int == 201
    assert_error(call(client, "POST", "/images", alice, json=image_body(sha256=digest)),
                 409, "conflict")
    # Another owner may hold the same bytes.
    assert call(client, "POST", "/images", bob, json=image_body(sha256=digest)).status_int == 201


def test_requires_a_token(client):
    res = call(client, "GET", "/images")
    assert_error(res, 401, "unauthorized")
    assert res.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_image_is_404(client, alice):
    error = assert_error(call(client, "GET", "/images/999999", alice), 404, "not_found")
    assert "999999" in error["message"]


def test_cursor_keeps_its_place_when_newer_rows_arrive(client, alice):
    rows = [make_image(alice.id) for _ in range(4)]
    order = spread(rows, [0, 1, 2, 3])
    first = call(client, "GET", "/images", alice, params={"limit": 2})
    assert first.status_int == 200
    assert ids(first.json["items"]) == order[:2]
    newer = make_image(alice.id)  # created now: newer than every spread row
    second = call(client, "GET", "/images", alice,
                  params={"limit": 2, "cursor": first.json["next_cursor"]})
    assert second.status_int == 200
    assert ids(second.json["items"]) == order[2:]
    assert newer.id not in ids(second.json["items"])


def _catalogue(alice, bob):
    specs = [
        (alice, dict(format="PNG", width=100, height=100, color_type="RGB"), 0),
        (alice, dict(format="JPEG", width=1920, height=1080, color_type="RGB"), 10),
        (alice, dict(format="PNG", width=800, height=2000, color_type="RGBA"), 20),
        (bob, dict(format="GIF", width=300, height=300, color_type="P"), 30),
        (bob, dict(format="JPEG", width=4000, height=3000, color_type="L"), 40),
    ]
    made = []
    for owner, fields, minutes in specs:
        image = make_image(owner.id, **fields)
        Image.update(created_at=T0 + timedelta(minutes=minutes)).where(
            Image.id == image.id).execute()
        made.append(Image.get_by_id(image.id))
    return made


@pytest.mark.parametrize("params, keep", [
    ({"format": "png"}, lambda i, a: i.format == "PNG"),
    ({"format": "JPEG"}, lambda i, a: i.format == "JPEG"),
    ({"color_type": "RGB"}, lambda i, a: i.color_type == "RGB"),
    ({"min_width": 800}, lambda i, a: i.width >= 800),
    ({"max_width": 800}, lambda i, a: i.width <= 800),
    ({"min_height": 1080}, lambda i, a: i.height >= 1080),
    ({"min_width": 500, "min_height": 500}, lambda i, a: i.width >= 500 and i.height >= 500),
    ({"owner_id": "ALICE"}, lambda i, a: i.owner_id == a.id),
    ({"since": "2024-03-01T12:10:00Z"}, lambda i, a: i.created_at >= T0 + timedelta(minutes=10)),
    ({"until": "2024-03-01T12:30:00Z"}, lambda i, a: i.created_at < T0 + timedelta(minutes=30)),
    ({"since": "2024-03-01T13:10:00+01:00", "until": "2024-03-01T12:40:00"},
     lambda i, a: T0 + timedelta(minutes=10) <= i.created_at < T0 + timedelta(minutes=40)),
    ({"format": "JPEG", "owner_id": "ALICE"},
     lambda i, a: i.format == "JPEG" and i.owner_id == a.id),
])
def test_list_filters(client, moderator, alice, bob, params, keep):
    made = _catalogue(alice, bob)
    params = {k: (alice.id if v == "ALICE" else v) for k, v in params.items()}
    items, _pages = walk(client, "/images", moderator, limit=2, **params)
    expected = [i.id for i in sorted(made, key=lambda i: (i.created_at, i.id), reverse=True)
                if keep(i, alice)]
    assert expected, "the case must select something"
    assert ids(items) == expected


def test_filters_never_widen_visibility(client, alice, bob):
    _catalogue(alice, bob)
    res = call(client, "GET", "/images", alice, params={"owner_id": bob.id})
    assert res.status_int == 200
    assert res.json["items"] == []


def test_patch_changes_the_record(client, alice):
    image = call(client, "POST", "/images", alice,
                 json=image_body(image_metadata={"a": 1})).json
    res = call(client, "PATCH", f"/images/{image['id']}", alice,
               json={"filename": "renamed.png", "width": 1024, "format": "jpeg",
                     "image_metadata": {"b": 2}, "compression_method": None})
    assert res.status_int == 200, res.text
    assert res.json["filename"] == "renamed.png"
    assert res.json["width"] == 1024
    assert res.json["format"] == "JPEG"
    assert res.json["image_metadata"] == {"b": 2}
    assert res.json["height"] == image["height"]
    stored = Image.get_by_id(image["id"])
    assert (stored.filename, stored.width, stored.format) == ("renamed.png", 1024, "JPEG")


def test_patch_refuses_technical_fields_of_an_uploaded_file(client, alice):
    image = make_image(alice.id, width=640)
    Image.update(storage_key="ab/cdef.png").where(Image.id == image.id).execute()
    res = call(client, "PATCH", f"/images/{image.id}", alice,
               json={"width": 10, "sha256": "aa" * 32, "filename": "x.png"})
    error = assert_error(res, 409, "conflict")
    assert error["details"] == {"fields": ["sha256", "width"]}
    stored = Image.get_by_id(image.id)
    assert (stored.width, stored.sha256, stored.filename) == (640, None, image.filename)
    # Descriptive fields stay editable.
    ok = call(client, "PATCH", f"/images/{image.id}", alice,
              json={"filename": "x.png", "image_metadata": {"k": "v"}})
    assert ok.status_int == 200, ok.text
    assert ok.json["has_file"] is True
    assert ok.json["filename"] == "x.png"


@pytest.mark.parametrize("viewer, status, code", [
    ("bob", 404, "not_found"), ("moderator", 403, "forbidden"), ("superadmin", 200, None)])
def test_patch_access(client, request, alice, viewer, status, code):
    image = make_image(alice.id)
    res = call(client, "PATCH", f"/images/{image.id}", request.getfixturevalue(viewer),
               json={"filename": "taken.png"})
    if code:
        assert_error(res, status, code)
        assert Image.get_by_id(image.id).filename == image.filename
    else:
        assert res.status_int == 200
        assert Image.get_by_id(image.id).filename == "taken.png"


# Bad fields refused alike by POST /images and PATCH /images/<id>.
BAD_FIELDS = [
    ({"width": 0}, "$.width"),
    ({"width": 2**31}, "$.width"),
    ({"height": 1.5}, "$.height"),
    ({"bit_depth": 0}, "$.bit_depth"),
    ({"file_size": 0}, "$.file_size"),
    ({"file_size": 2**63}, "$.file_size"),
    ({"format": ""}, "$.format"),
    ({"format": "X" * 17}, "$.format"),
    ({"filename": ""}, "$.filename"),
    ({"sha256": "xyz"}, "$.sha256"),
    ({"sha256": "zz" * 32}, "$.sha256"),
    ({"image_metadata": []}, "$.image_metadata"),
    ({"owner_id": 1}, "$.owner_id"),
    ({"storage_key": "ab"}, "$.storage_key"),
]


@pytest.mark.parametrize("method, body, path", [
    *[(method, body, path) for method in ("POST", "PATCH") for body, path in BAD_FIELDS],
    # UNSET: the field is left out of an otherwise complete body.
    ("POST", {"filename": UNSET}, "$"),
    ("POST", {"file_size": UNSET}, "$"),
])
def test_create_and_patch_validation(client, alice, method, body, path):
    image = make_image(alice.id)
    before = Image.get_by_id(image.id).__data__
    if method == "POST":
        body = {k: v for k, v in image_body(**body).items() if v is not UNSET}
        res = call(client, "POST", "/images", alice, json=body)
    else:
        res = call(client, "PATCH", f"/images/{image.id}", alice, json=body)
    error = assert_error(res, 422, "validation_error")
    assert error_paths(error) == [path]
    assert [row.__data__ for row in Image.select()] == [before]


@pytest.mark.parametrize("viewer, status, code", [
    ("alice", 204, None), ("bob", 404, "not_found"), ("moderator", 403, "forbidden"),
    ("superadmin", 204, None)])
def test_delete(client, request, alice, viewer, status, code):
    image = make_image(alice.id)
    res = call(client, "DELETE", f"/images/{image.id}", request.getfixturevalue(viewer))
    if code:
        assert_error(res, status, code)
        assert Image.get_or_none(Image.id == image.id) is not None
    else:
        assert res.status_int == 204
        assert res.body == b""
        assert Image.get_or_none(Image.id == image.id) is None
        assert_error(call(client, "GET", f"/images/{image.id}", alice), 404, "not_found")
