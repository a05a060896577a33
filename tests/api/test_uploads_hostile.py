"""POST /images with hostile or malformed input: the hostile-file matrix that
must leave no row and no file, the size and pixel limits, malformed multipart
bodies and filenames.

Every image is generated here (tests/images.py); expectations come from an
independent reading of the same bytes with Pillow, hashlib and len().
"""
from __future__ import annotations

import hashlib
import random

import pytest
import webtest
from PIL import Image

from janus.models import Image as ImageRow
from janus.web.app import create_app
from tests.api.helpers import (
    BOUNDARY,
    CLIENT_IP,
    assert_error,
    call,
    error_paths,
    key_path,
    multipart,
    post_raw,
    row_counts,
    storage_dir,
    upload,
)
from tests.helpers import stored_files
from tests.images import flip_idat, photo_like, png_bomb, save
from tests.storage import both_stores

pytestmark = both_stores

MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


# -- hostile uploads -------------------------------------------------------------------
_png = save(photo_like(6, (200, 150)), "PNG")
_jpeg = save(photo_like(6, (200, 150)), "JPEG")
BOMB_LIMIT = 1_000_000

# id -> (bytes, filename, config overrides, status, code, error path or None)
HOSTILE = {
    "random_bytes": (random.Random(0).randbytes(4096), "noise.png", {}, 415,
                     "unsupported_media_type", None),
    "text": (b"hello, I am definitely a PNG\n" * 20, "text.png", {}, 415,
             "unsupported_media_type", None),
    "empty_file": (b"", "empty.png", {}, 415, "unsupported_media_type", None),
    "html": (b"<!doctype html><script>alert(1)</script>", "x.gif", {}, 415,
             "unsupported_media_type", None),
    "png_truncated_half": (_png[:len(_png) // 2], "half.png", {}, 422, "validation_error",
                           "$.file"),
    "png_header_only": (_png[:40], "head.png", {}, 422, "validation_error", "$.file"),
    "png_without_iend": (_png[:-12], "noend.png", {}, 422, "validation_error", "$.file"),
    "png_corrupt_idat": (flip_idat(_png), "flipped.png", {}, 422, "validation_error", "$.file"),
    "jpeg_truncated_half": (_jpeg[:len(_jpeg) // 2], "half.jpg", {}, 422, "validation_error",
                            "$.file"),
    "jpeg_without_eoi": (_jpeg[:-2], "noeoi.jpg", {}, 422, "validation_error", "$.file"),
    "decompression_bomb": (png_bomb(4000, 4000), "bomb.png",
                           {"JANUS_MAX_IMAGE_PIXELS": BOMB_LIMIT}, 413, "payload_too_large",
                           None),
    "one_pixel_over_the_limit": (png_bomb(300, 300), "big.png",
                                 {"JANUS_MAX_IMAGE_PIXELS": 300 * 300 - 1}, 413,
                                 "payload_too_large", None),
    "body_over_upload_limit": (_png, "large.png", {"JANUS_MAX_UPLOAD_BYTES": len(_png) // 2},
                               413, "payload_too_large", None),
    "ico": (save(photo_like(1, (32, 32)), "ICO"), "icon.ico", {}, 415, "unsupported_media_type",
            None),
    "ppm": (save(photo_like(1, (32, 32)), "PPM"), "pic.ppm", {}, 415, "unsupported_media_type",
            None),
    "tga": (save(photo_like(1, (32, 32)), "TGA"), "pic.tga", {}, 415, "unsupported_media_type",
            None),
    "pdf": (save(photo_like(1, (32, 32)), "PDF"), "doc.pdf", {}, 415, "unsupported_media_type",
            None),
    "parent_dir": (_png, "../a.png", {}, 422, "validation_error", "$.filename"),
    "subdir": (_png, "a/b.png", {}, 422, "validation_error", "$.filename"),
    "absolute": (_png, "/etc/passwd", {}, 422, "validation_error", "$.filename"),
    "windows_drive": (_png, "C:\\x.png", {}, 422, "validation_error", "$.filename"),
    "windows_drive_relative": (_png, "C:x.png", {}, 422, "validation_error", "$.filename"),
    "windows_unc": (_png, "\\\\host\\share\\x.png", {}, 422, "validation_error", "$.filename"),
    "windows_parent": (_png, "..\\..\\a.png", {}, 422, "validation_error", "$.filename"),
    "dot_dot": (_png, "..", {}, 422, "validation_error", "$.filename"),
    "blank_name": (_png, "   ", {}, 422, "validation_error", "$.filename"),
    "name_too_long": (_png, "x" * 300 + ".png", {}, 422, "validation_error", "$.filename"),
    "control_character": (_png, "a\tb.png", {}, 422, "validation_error", "$.filename"),
    # The name is checked once, first: before the bytes are looked at or decoded.
    "path_name_on_garbage": (b"not an image", "../x.png", {}, 422, "validation_error",
                             "$.filename"),
    "path_name_on_a_bomb": (png_bomb(4000, 4000), "../bomb.png",
                            {"JANUS_MAX_IMAGE_PIXELS": BOMB_LIMIT}, 422, "validation_error",
                            "$.filename"),
}


@pytest.fixture
def client_with(db, make_config):
    """client_with(**env): a client of an app built with those settings."""
    def make(**env):
        app = create_app(make_config(**env))
        return app, webtest.TestApp(app, extra_environ={"REMOTE_ADDR": CLIENT_IP})
    return make


def assert_nothing_stored(app, before: dict) -> None:
    assert row_counts() == before
    assert stored_files(storage_dir(app)) == []


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_upload_leaves_no_row_and_no_file(client_with, alice, name):
    data, filename, env, status, code, path = HOSTILE[name]
    app, client = client_with(**env)
    before = row_counts()
    res = upload(client, alice, data, filename)
    error = assert_error(res, status, code)
    if path is not None:
        assert error_paths(error) == [path]
    assert_nothing_stored(app, before)


def test_upload_within_the_pixel_limit_is_accepted(client_with, alice):
    # The other side of "one_pixel_over_the_limit": the limit itself is allowed.
    app, client = client_with(JANUS_MAX_IMAGE_PIXELS=300 * 300)
    res = upload(client, alice, png_bomb(300, 300), "big.png")
    assert res.status_int == 201, res.text
    assert (res.json["width"], res.json["height"], res.json["color_type"]) == (300, 300, "1")


def test_upload_at_the_size_limit_is_accepted(client_with, alice):
    # The limit is on the whole body (the file, part headers and boundaries).
    body = multipart([('name="file"; filename="ok.png"', _png)])
    app, client = client_with(JANUS_MAX_UPLOAD_BYTES=len(body))
    res = post_raw(client, alice, body, MULTIPART)
    assert res.status_int == 201, res.text
    assert res.json["file_size"] == len(_png)
    app, client = client_with(JANUS_MAX_UPLOAD_BYTES=len(body) - 1)
    before = row_counts()
    error = assert_error(post_raw(client, alice, body, MULTIPART), 413, "payload_too_large")
    assert error["details"] == {"limit": len(body) - 1}
    assert row_counts() == before


def test_pixel_bomb_is_refused_with_its_dimensions(client_with, alice):
    app, client = client_with(JANUS_MAX_IMAGE_PIXELS=BOMB_LIMIT)
    res = upload(client, alice, png_bomb(4000, 4000), "bomb.png")
    error = assert_error(res, 413, "payload_too_large")
    assert error["details"] == {"width": 4000, "height": 4000, "pixels": 16_000_000,
                                "max_pixels": BOMB_LIMIT}


@pytest.mark.parametrize("parts", [
    pytest.param([('name="format"', b"PNG")], id="other-field-only"),
    pytest.param([('name="file"', b"just text")], id="file-as-plain-field"),
    # What a browser sends when no file was chosen.
    pytest.param([('name="file"; filename=""', b"")], id="no-file-chosen"),
    pytest.param([('name="image"; filename="a.png"', _png)], id="wrong-field-name"),
])
def test_missing_file_field_is_422(client, app, alice, parts):
    before = row_counts()
    res = post_raw(client, alice, multipart(parts), MULTIPART)
    error = assert_error(res, 422, "validation_error")
    assert error_paths(error) == ["$.file"]
    assert_nothing_stored(app, before)


_part = b'Content-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'


@pytest.mark.parametrize("body, content_type", [
    pytest.param(b"--" + BOUNDARY.encode() + b"\r\n" + _part + _png[:100], MULTIPART,
                 id="unterminated"),
    pytest.param(b"this is not multipart at all", MULTIPART, id="no-boundary-in-body"),
    pytest.param(multipart([('name="file"; filename="a.png"', _png)]), "multipart/form-data",
                 id="no-boundary-parameter"),
    pytest.param(b"--" + BOUNDARY.encode() + b"\r\nno colon in this header line\r\n\r\nx\r\n--"
                 + BOUNDARY.encode() + b"--\r\n", MULTIPART, id="broken-part-headers"),
])
def test_malformed_multipart_is_400(client, app, alice, body, content_type):
    before = row_counts()
    res = post_raw(client, alice, body, content_type)
    assert_error(res, 400, "bad_request")
    assert_nothing_stored(app, before)


def test_upload_requires_authentication(client, app):
    before = row_counts()
    res = upload(client, None, _png, "a.png")
    assert_error(res, 401, "unauthorized")
    assert_nothing_stored(app, before)


@pytest.mark.parametrize("sent, kept", [("café.png", "café.png"), ("照片 1.png", "照片 1.png"),
                                        ("  spaced.png  ", "spaced.png"),
                                        ("cafe\u0301.png", "café.png")])  # NFC
def test_the_client_filename_is_kept_as_a_label(client, alice, sent, kept):
    res = upload(client, alice, _png, sent)
    assert res.status_int == 201, res.text
    assert res.json["filename"] == kept
    assert ImageRow.get_by_id(res.json["id"]).filename == kept


def test_a_large_upload_round_trips_under_the_default_limits(client, app, alice):
    # Several MB: past Bottle's in-memory part limit (the part is spooled to a
    # temporary file) and past the JSON body limit, within the upload limit.
    rng = random.Random(5)
    data = save(Image.frombytes("RGB", (1400, 1000), rng.randbytes(1400 * 1000 * 3)), "PNG",
                compress_level=1)
    config = app.config["janus.config"]
    assert config.max_body_bytes < len(data) < config.max_upload_bytes
    res = upload(client, alice, data, "noise.png")
    assert res.status_int == 201, res.text
    assert (res.json["file_size"], res.json["sha256"]) == \
        (len(data), hashlib.sha256(data).hexdigest())
    assert key_path(storage_dir(app), res.json["sha256"]).read_bytes() == data
    download = call(client, "GET", f"/images/{res.json['id']}/file", alice)
    assert download.status_int == 200 and download.body == data


@pytest.mark.parametrize("content_type", [f"Multipart/Form-Data; boundary={BOUNDARY}",
                                          f'multipart/form-data; boundary="{BOUNDARY}"',
                                          f"MULTIPART/FORM-DATA;boundary={BOUNDARY}"])
def test_multipart_media_type_is_case_insensitive(client, alice, content_type):
    body = multipart([('name="file"; filename="a.png"', _png)])
    res = post_raw(client, alice, body, content_type)
    assert res.status_int == 201, res.text
    assert res.json["sha256"] == hashlib.sha256(_png).hexdigest()
