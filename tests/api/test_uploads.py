"""POST /images with multipart/form-data: metadata read from the bytes (never
from the client), content-addressed storage shared between owners, 409 on a
repeat upload, cleanup when the insert fails (the hostile-file matrix and the
limits: test_uploads_hostile.py).

Every image is generated here (tests/images.py); expectations come from an
independent reading of the same bytes with Pillow, hashlib and len().
"""
from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from janus.models import Image as ImageRow
from janus.models import Log
from janus.services import images as image_service
from tests.api.helpers import (
    assert_error,
    call,
    image_body,
    key_path,
    row_counts,
    storage_dir,
    upload,
)
from tests.helpers import stored_files
from tests.images import (
    animated_gif,
    camera_jpeg,
    p_image,
    photo_like,
    rgba_with_hole,
    save,
    sixteen_bit,
)
from tests.storage import both_stores

pytestmark = both_stores

# name -> (bytes, filename, expected format, mode, bits per channel, compression)
FORMATS = {
    "jpeg_exif_orientation_6": (camera_jpeg((300, 200), orientation=6), "camera.jpg",
                                "JPEG", "RGB", 8, "jpeg"),
    "png_rgba": (save(rgba_with_hole(0, (90, 60)), "PNG"), "alpha.png", "PNG", "RGBA", 8,
                 "deflate"),
    "png_grey_l": (save(photo_like(1, (90, 60)).convert("L"), "PNG"), "grey.png", "PNG", "L", 8,
                   "deflate"),
    "png_palette_p": (p_image(False), "palette.png", "PNG", "P", 8, "deflate"),
    "png_16bit": (save(sixteen_bit(), "PNG"), "deep.png", "PNG", "I;16", 16, "deflate"),
    "gif_animated": (animated_gif(), "anim.gif", "GIF", "P", 8, "lzw"),
    "webp_lossy": (save(photo_like(2, (90, 60)), "WEBP", quality=70), "lossy.webp", "WEBP", "RGB",
                   8, "lossy"),
    "webp_lossless_rgba": (save(rgba_with_hole(0, (90, 60)), "WEBP", lossless=True),
                           "lossless.webp", "WEBP", "RGBA", 8, "lossless"),
    "tiff_lzw": (save(photo_like(2, (90, 60)), "TIFF", compression="tiff_lzw"), "scan.tiff",
                 "TIFF", "RGB", 8, "tiff_lzw"),
    "bmp": (save(photo_like(2, (90, 60)), "BMP"), "old.bmp", "BMP", "RGB", 8, "raw"),
}
COLUMNS = ("filename", "format", "width", "height", "color_type", "bit_depth",
           "compression_method", "file_size", "sha256")


def originals(root) -> list:
    return [p for p in stored_files(root) if "thumbnails" not in p.relative_to(root).parts]


# -- metadata comes from the bytes -------------------------------------------------
@pytest.mark.parametrize("name", list(FORMATS))
def test_upload_reads_the_metadata_from_the_bytes(client, app, alice, name):
    data, filename, fmt, mode, bits, compression = FORMATS[name]
    res = upload(client, alice, data, filename)
    assert res.status_int == 201, res.text
    body = res.json
    with Image.open(io.BytesIO(data)) as im:  # an independent reading of the same bytes
        assert (body["format"], body["width"], body["height"], body["color_type"]) == \
            (im.format, im.width, im.height, im.mode)
        meta = body["image_metadata"]
        assert meta["frames"] == getattr(im, "n_frames", 1)
        assert meta["animated"] is (getattr(im, "n_frames", 1) > 1)
        assert meta["has_alpha"] is im.has_transparency_data
        if "dpi" in im.info:
            assert meta["dpi"] == [round(float(v), 2) for v in im.info["dpi"]]
        else:
            assert "dpi" not in meta
    assert (body["format"], body["color_type"], body["bit_depth"],
            body["compression_method"]) == (fmt, mode, bits, compression)
    assert body["file_size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["filename"], body["owner_id"], body["has_file"]) == (filename, alice.id, True)

    row = ImageRow.get_by_id(body["id"])  # the stored row says the same
    assert {c: getattr(row, c) for c in COLUMNS} == {c: body[c] for c in COLUMNS}
    assert row.image_metadata == body["image_metadata"] and row.owner_id == alice.id
    assert row.storage_key == f"{row.sha256[:2]}/{row.sha256[2:4]}/{row.sha256}"
    assert row.phash is not None

    root = storage_dir(app)
    assert stored_files(root) == [key_path(root, body["sha256"])]
    assert key_path(root, body["sha256"]).read_bytes() == data

    audit = Log.get(Log.action == "image.uploaded")
    assert audit.user_id == alice.id
    assert audit.log_metadata["object_id"] == body["id"]
    assert audit.log_metadata["changes"]["sha256"] == body["sha256"]


def test_exif_subset_of_a_camera_jpeg(client, alice):
    data = FORMATS["jpeg_exif_orientation_6"][0]
    res = upload(client, alice, data, "camera.jpg")
    assert res.status_int == 201, res.text
    meta = res.json["image_metadata"]
    assert meta["exif"] == {"Make": "Canon", "Model": "EOS 5D", "Orientation": 6,
                            "DateTimeOriginal": "2024-05-01T12:34:56", "ExposureTime": 0.004,
                            "FNumber": 2.8, "ISO": 400}
    assert meta["dpi"] == [300, 300]
    assert "GPS" not in res.text  # the builder writes a GPS IFD; it is never copied
    # The stored size is the pixels as stored; orientation is applied on display.
    assert (res.json["width"], res.json["height"]) == (300, 200)


@pytest.mark.parametrize("name, stored_depth", [("png_16bit", 16), ("png_grey_l", 8),
                                                ("png_rgba", 8)])
def test_png_stored_bit_depth(client, alice, name, stored_depth):
    data, filename = FORMATS[name][:2]
    res = upload(client, alice, data, filename)
    assert res.status_int == 201, res.text
    assert res.json["image_metadata"]["stored_bit_depth"] == stored_depth == data[24]


def test_client_claims_in_other_form_fields_are_ignored(client, alice, bob):
    data = save(photo_like(7, (90, 60)), "PNG")
    claims = {"format": "JPEG", "width": "4000", "height": "3000", "color_type": "CMYK",
              "bit_depth": "16", "file_size": "1", "sha256": "0" * 64, "owner_id": str(bob.id),
              "filename": "claimed.jpg", "compression_method": "none"}
    # The part's own Content-Type claims JPEG too.
    res = upload(client, alice, data, "real.png", fields=claims, part_type="image/jpeg")
    assert res.status_int == 201, res.text
    body = res.json
    assert {c: body[c] for c in COLUMNS} == {
        "filename": "real.png", "format": "PNG", "width": 90, "height": 60, "color_type": "RGB",
        "bit_depth": 8, "compression_method": "deflate", "file_size": len(data),
        "sha256": hashlib.sha256(data).hexdigest()}
    assert body["owner_id"] == alice.id
    assert ImageRow.get_by_id(body["id"]).format == "PNG"


def test_technical_fields_of_an_upload_cannot_be_patched(client, alice):
    res = upload(client, alice, FORMATS["png_grey_l"][0], "grey.png")
    assert res.status_int == 201, res.text
    patched = call(client, "PATCH", f"/images/{res.json['id']}", alice,
                   json={"width": 1, "format": "JPEG"})
    error = assert_error(patched, 409, "conflict")
    assert error["details"] == {"fields": ["format", "width"]}
    row = ImageRow.get_by_id(res.json["id"])
    assert (row.format, row.width) == ("PNG", 90)


def test_metadata_only_json_records_keep_working(client, app, alice):
    res = call(client, "POST", "/images", alice, json=image_body(format="JPEG", width=10))
    assert res.status_int == 201, res.text
    assert (res.json["format"], res.json["width"], res.json["has_file"]) == ("JPEG", 10, False)
    assert ImageRow.get_by_id(res.json["id"]).storage_key is None
    assert stored_files(storage_dir(app)) == []


# -- storage by content ----------------------------------------------------------------
def test_identical_bytes_from_two_owners_share_one_file(client, app, alice, bob):
    data = save(photo_like(8, (200, 150)), "PNG")
    root = storage_dir(app)
    first = upload(client, alice, data, "mine.png")
    second = upload(client, bob, data, "also-mine.png")
    assert (first.status_int, second.status_int) == (201, 201), (first.text, second.text)
    assert first.json["id"] != second.json["id"]
    assert first.json["sha256"] == second.json["sha256"] == hashlib.sha256(data).hexdigest()
    original = key_path(root, first.json["sha256"])
    assert stored_files(root) == [original]

    thumb = call(client, "GET", f"/images/{second.json['id']}/thumbnail", bob,
                 params={"size": 64})
    assert thumb.status_int == 200, thumb.text
    assert len(stored_files(root)) == 2  # the original and its cached thumbnail

    gone = call(client, "DELETE", f"/images/{first.json['id']}", alice)
    assert gone.status_int == 204, gone.text
    assert len(stored_files(root)) == 2  # bob's row still uses the file (and thumbnail)
    still = call(client, "GET", f"/images/{second.json['id']}/file", bob)
    assert still.status_int == 200 and still.body == data

    last = call(client, "DELETE", f"/images/{second.json['id']}", bob)
    assert last.status_int == 204, last.text
    assert stored_files(root) == []
    assert ImageRow.select().count() == 0


def test_same_owner_uploading_the_same_bytes_twice_gets_409(client, app, alice):
    data = save(photo_like(9, (120, 90)), "JPEG")
    first = upload(client, alice, data, "one.jpg")
    assert first.status_int == 201, first.text
    before = row_counts()
    again = upload(client, alice, data, "renamed.jpg")  # a new name does not make it new
    error = assert_error(again, 409, "conflict")
    assert error["details"] == {"existing_id": first.json["id"]}
    assert row_counts() == before
    assert originals(storage_dir(app)) == [key_path(storage_dir(app), first.json["sha256"])]
    assert ImageRow.get_by_id(first.json["id"]).filename == "one.jpg"


def test_different_bytes_of_the_same_picture_are_different_files(client, app, alice):
    im = photo_like(9, (120, 90))
    a, b = upload(client, alice, save(im, "PNG"), "a.png"), upload(client, alice, save(im, "BMP"),
                                                                   "a.bmp")
    assert (a.status_int, b.status_int) == (201, 201), (a.text, b.text)
    assert len(originals(storage_dir(app))) == 2


@pytest.mark.parametrize("deleter", ["self", "superadmin"])
def test_deleting_a_user_releases_their_files(client, app, make_actor, bob, deleter):
    carol = make_actor(name=f"carol-{deleter}")
    root = storage_dir(app)
    own, shared = save(photo_like(11, (80, 60)), "PNG"), save(photo_like(12, (80, 60)), "PNG")
    mine = upload(client, carol, own, "own.png")
    ours = upload(client, carol, shared, "shared.png")
    bobs = upload(client, bob, shared, "shared.png")
    assert {r.status_int for r in (mine, ours, bobs)} == {201}
    thumb = call(client, "GET", f"/images/{mine.json['id']}/thumbnail", carol)
    assert thumb.status_int == 200, thumb.text
    assert len(stored_files(root)) == 3

    actor = carol if deleter == "self" else make_actor("superadmin")
    res = call(client, "DELETE", f"/users/{carol.id}", actor)
    assert res.status_int == 204, res.text
    # Carol's own file and its thumbnail are gone; the one Bob also uses stays.
    assert stored_files(root) == [key_path(root, bobs.json["sha256"])]
    assert [row.id for row in ImageRow.select()] == [bobs.json["id"]]
    download = call(client, "GET", f"/images/{bobs.json['id']}/file", bob)
    assert download.status_int == 200 and download.body == shared


# -- failures after the file was written -------------------------------------------------
_png = save(photo_like(6, (200, 150)), "PNG")


@pytest.mark.parametrize("shared", [False, True], ids=["only-user", "file-shared-with-bob"])
def test_a_failed_insert_removes_the_new_file_but_not_a_shared_one(client, app, alice, bob,
                                                                  monkeypatch, shared):
    root = storage_dir(app)
    if shared:
        assert upload(client, bob, _png, "bobs.png").status_int == 201
    before, files = row_counts(), stored_files(root)

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit store down")
    monkeypatch.setattr(image_service, "record_change", broken_audit)
    res = upload(client, alice, _png, "a.png")
    assert_error(res, 500, "internal_error")
    assert row_counts() == before  # the image row was rolled back with its audit row
    assert stored_files(root) == files  # bob's file stays; a new one is removed


def test_a_racing_duplicate_still_gets_409_with_the_existing_id(client, app, alice,
                                                                 monkeypatch):
    first = upload(client, alice, _png, "a.png")
    assert first.status_int == 201, first.text
    # A second request that passed the duplicate check before the first one
    # committed: only the (owner, sha256) unique index stops it.
    real, calls = image_service.images.duplicate_of, []

    def not_yet_committed(owner, sha256):
        calls.append(sha256)
        return None if len(calls) == 1 else real(owner, sha256)
    monkeypatch.setattr(image_service.images, "duplicate_of", not_yet_committed)
    before = row_counts()
    error = assert_error(upload(client, alice, _png, "b.png"), 409, "conflict")
    assert error["details"] == {"existing_id": first.json["id"]}
    assert row_counts() == before
    assert stored_files(storage_dir(app)) == [key_path(storage_dir(app), first.json["sha256"])]
