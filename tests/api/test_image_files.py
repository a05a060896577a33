"""GET /images/<id>/file (the original bytes) and GET /images/<id>/thumbnail
(WebP, EXIF orientation applied, cached on disk once, gone with the image)."""
from __future__ import annotations

import hashlib
import io

import pytest
from PIL import ExifTags, Image

from janus.imaging import thumbnails
from tests.api.helpers import (
    BOUNDARY,
    assert_error,
    call,
    error_paths,
    image_body,
    multipart,
    post_raw,
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

# name -> (bytes, filename, the media type the download must carry)
DOWNLOADS = {
    "png": (save(photo_like(21, (90, 60)), "PNG"), "a.png", "image/png"),
    "jpeg": (camera_jpeg((120, 80)), "b.jpg", "image/jpeg"),
    "gif": (animated_gif(), "c.gif", "image/gif"),
    "webp": (save(photo_like(22, (90, 60)), "WEBP"), "d.webp", "image/webp"),
    "tiff": (save(photo_like(23, (90, 60)), "TIFF"), "e.tif", "image/tiff"),
    "bmp": (save(photo_like(24, (90, 60)), "BMP"), "f.bmp", "image/bmp"),
}


def uploaded(client, actor, data: bytes, filename: str = "x.png") -> dict:
    res = upload(client, actor, data, filename)
    assert res.status_int == 201, res.text
    return res.json


def thumbnail_files(app) -> list:
    root = storage_dir(app)
    return [p for p in stored_files(root) if p.relative_to(root).parts[0] == "thumbnails"]


# -- the original -------------------------------------------------------------------
@pytest.mark.parametrize("name", list(DOWNLOADS))
def test_download_is_the_uploaded_bytes(client, alice, name):
    data, filename, media = DOWNLOADS[name]
    image = uploaded(client, alice, data, filename)
    res = call(client, "GET", f"/images/{image['id']}/file", alice)
    assert res.status_int == 200, res.text
    assert res.headers["Content-Type"] == media
    assert res.headers["Content-Length"] == str(len(data))
    assert res.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert filename in res.headers["Content-Disposition"]
    assert res.body == data


def test_download_filename_is_encoded_for_the_header(client, alice):
    # Sent by hand: webtest would not escape the quote inside the filename.
    body = multipart([('name="file"; filename="na\\"me; x=1 é.png"', DOWNLOADS["png"][0])])
    created = post_raw(client, alice, body, f"multipart/form-data; boundary={BOUNDARY}")
    assert created.status_int == 201, created.text
    assert created.json["filename"] == 'na"me; x=1 é.png'
    res = call(client, "GET", f"/images/{created.json['id']}/file", alice)
    assert res.status_int == 200, res.text
    assert res.headers["Content-Disposition"] == \
        "inline; filename*=UTF-8''na%22me%3B%20x%3D1%20%C3%A9.png"


@pytest.mark.parametrize("header", ['"{etag}"', 'W/"{etag}"', '"other", "{etag}"', "*"])
def test_if_none_match_answers_304_without_a_body(client, alice, header):
    data = DOWNLOADS["png"][0]
    image = uploaded(client, alice, data)
    etag = hashlib.sha256(data).hexdigest()
    res = call(client, "GET", f"/images/{image['id']}/file", alice,
               headers={"If-None-Match": header.format(etag=etag)})
    assert res.status_int == 304, res.text
    assert res.body == b""
    assert res.headers["ETag"] == f'"{etag}"'


@pytest.mark.parametrize("header", ['"0000"', "W/\"abc\"", '""'])
def test_a_stale_etag_gets_the_file(client, alice, header):
    data = DOWNLOADS["png"][0]
    image = uploaded(client, alice, data)
    res = call(client, "GET", f"/images/{image['id']}/file", alice,
               headers={"If-None-Match": header})
    assert res.status_int == 200, res.text
    assert res.body == data


def test_another_users_image_is_404_but_admins_may_download(client, alice, bob, moderator):
    data = DOWNLOADS["jpeg"][0]
    image = uploaded(client, alice, data, "b.jpg")
    for path in ("file", "thumbnail"):
        res = call(client, "GET", f"/images/{image['id']}/{path}", bob)
        assert_error(res, 404, "not_found")
    res = call(client, "GET", f"/images/{image['id']}/file", moderator)
    assert res.status_int == 200, res.text
    assert res.body == data


@pytest.mark.parametrize("path", ["file", "thumbnail"])
def test_metadata_only_record_has_no_file(client, app, alice, path):
    created = call(client, "POST", "/images", alice, json=image_body())
    assert created.status_int == 201, created.text
    res = call(client, "GET", f"/images/{created.json['id']}/{path}", alice)
    error = assert_error(res, 404, "not_found")
    assert "metadata-only" in error["message"]
    assert stored_files(storage_dir(app)) == []


@pytest.mark.parametrize("path", ["file", "thumbnail"])
def test_unknown_image_and_anonymous_callers(client, alice, path):
    assert_error(call(client, "GET", f"/images/999999/{path}", alice), 404, "not_found")
    image = uploaded(client, alice, DOWNLOADS["png"][0])
    assert_error(call(client, "GET", f"/images/{image['id']}/{path}"), 401, "unauthorized")


def test_a_deleted_image_has_no_file(client, app, alice):
    image = uploaded(client, alice, DOWNLOADS["png"][0])
    assert call(client, "DELETE", f"/images/{image['id']}", alice).status_int == 204
    assert_error(call(client, "GET", f"/images/{image['id']}/file", alice), 404, "not_found")
    assert stored_files(storage_dir(app)) == []


# -- thumbnails ---------------------------------------------------------------------------
LANDSCAPE = save(photo_like(25, (800, 600)), "PNG")


@pytest.mark.parametrize("size", [64, 128, 256, 512])
def test_thumbnail_is_webp_with_longest_side_size(client, alice, size):
    image = uploaded(client, alice, LANDSCAPE)
    res = call(client, "GET", f"/images/{image['id']}/thumbnail", alice, params={"size": size})
    assert res.status_int == 200, res.text
    assert res.headers["Content-Type"] == "image/webp"
    assert res.headers["Content-Length"] == str(len(res.body))
    with Image.open(io.BytesIO(res.body)) as thumb:
        assert thumb.format == "WEBP"
        assert thumb.size == (size, size * 3 // 4)


def test_default_thumbnail_size_is_256(client, alice):
    image = uploaded(client, alice, LANDSCAPE)
    res = call(client, "GET", f"/images/{image['id']}/thumbnail", alice)
    assert res.status_int == 200, res.text
    assert Image.open(io.BytesIO(res.body)).size == (256, 192)


def test_thumbnail_follows_exif_orientation(client, alice):
    data = camera_jpeg((800, 600), orientation=6)  # stored landscape, shown portrait
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (800, 600) and im.getexif()[ExifTags.Base.Orientation] == 6
    image = uploaded(client, alice, data, "camera.jpg")
    assert (image["width"], image["height"]) == (800, 600)
    res = call(client, "GET", f"/images/{image['id']}/thumbnail", alice, params={"size": 256})
    assert res.status_int == 200, res.text
    with Image.open(io.BytesIO(res.body)) as thumb:
        assert thumb.size == (192, 256)
        assert ExifTags.Base.Orientation not in thumb.getexif()  # applied, not copied


def test_thumbnail_never_enlarges(client, alice):
    image = uploaded(client, alice, save(photo_like(26, (90, 60)), "PNG"))
    res = call(client, "GET", f"/images/{image['id']}/thumbnail", alice, params={"size": 512})
    assert res.status_int == 200, res.text
    assert Image.open(io.BytesIO(res.body)).size == (90, 60)


@pytest.mark.parametrize("data, mode", [
    pytest.param(save(rgba_with_hole(0, (300, 200)), "PNG"), "RGBA", id="rgba-keeps-alpha"),
    pytest.param(p_image(True), "RGBA", id="palette-transparency"),
    pytest.param(save(sixteen_bit(), "PNG"), "RGB", id="16-bit-grey"),
    pytest.param(save(photo_like(27, (300, 200)).convert("L"), "PNG"), "RGB", id="grey"),
    pytest.param(save(photo_like(28, (300, 200)).convert("CMYK"), "TIFF"), "RGB", id="cmyk"),
])
def test_thumbnail_of_every_mode_is_8bit_rgb_or_rgba(client, alice, data, mode):
    image = uploaded(client, alice, data)
    res = call(client, "GET", f"/images/{image['id']}/thumbnail", alice, params={"size": 64})
    assert res.status_int == 200, res.text
    with Image.open(io.BytesIO(res.body)) as thumb:
        assert (thumb.format, thumb.mode) == ("WEBP", mode)


def test_thumbnail_of_16bit_grey_is_not_clipped_white(client, alice):
    # sixteen_bit() runs from near-black to near-white left to right.
    image = uploaded(client, alice, save(sixteen_bit(), "PNG"))
    res = call(client, "GET", f"/images/{image['id']}/thumbnail", alice, params={"size": 64})
    assert res.status_int == 200, res.text
    thumb = Image.open(io.BytesIO(res.body)).convert("L")
    left, right = thumb.getpixel((2, 16)), thumb.getpixel((61, 16))
    assert left < 40 and right > 215, (left, right)


@pytest.mark.parametrize("size", ["100", "0", "1024", "-64", "abc", "64.0", ""])
def test_invalid_thumbnail_size_is_422(client, app, alice, size):
    image = uploaded(client, alice, LANDSCAPE)
    res = call(client, "GET", f"/images/{image['id']}/thumbnail", alice, params={"size": size})
    error = assert_error(res, 422, "validation_error")
    assert error_paths(error) == ["$.size"]
    assert thumbnail_files(app) == []


@pytest.fixture
def renders(monkeypatch):
    """Every call of make_thumbnail (the rendering), as (source, size) pairs."""
    calls = []
    real = thumbnails.make_thumbnail

    def counting(source, size, *args):
        calls.append((source, size))
        return real(source, size, *args)
    monkeypatch.setattr(thumbnails, "make_thumbnail", counting)
    return calls


def test_thumbnail_is_made_once_and_cached_on_disk(client, app, alice, renders):
    image = uploaded(client, alice, LANDSCAPE)
    url = f"/images/{image['id']}/thumbnail"
    first = call(client, "GET", url, alice, params={"size": 128})
    assert first.status_int == 200, first.text
    assert [size for _source, size in renders] == [128]
    [cached] = thumbnail_files(app)
    sha = image["sha256"]
    assert cached == storage_dir(app) / "thumbnails" / sha[:2] / sha[2:4] / sha / "128.webp"
    assert cached.read_bytes() == first.body
    stamp = (cached.stat().st_ino, cached.stat().st_mtime_ns)

    second = call(client, "GET", url, alice, params={"size": 128})
    assert second.status_int == 200, second.text
    assert second.body == first.body
    assert len(renders) == 1  # served from the cache, not rendered again
    assert (cached.stat().st_ino, cached.stat().st_mtime_ns) == stamp

    other = call(client, "GET", url, alice, params={"size": 64})
    assert other.status_int == 200, other.text
    assert [size for _source, size in renders] == [128, 64]
    assert len(thumbnail_files(app)) == 2


def test_thumbnail_etag_and_304(client, alice, renders):
    image = uploaded(client, alice, LANDSCAPE)
    url = f"/images/{image['id']}/thumbnail"
    first = call(client, "GET", url, alice, params={"size": 64})
    assert first.status_int == 200, first.text
    etag = first.headers["ETag"]
    assert etag == f'"{image["sha256"]}-64"'
    again = call(client, "GET", url, alice, params={"size": 64}, headers={"If-None-Match": etag})
    assert again.status_int == 304, again.text
    assert again.body == b""
    other_size = call(client, "GET", url, alice, params={"size": 128},
                      headers={"If-None-Match": etag})
    assert other_size.status_int == 200, other_size.text
    assert len(renders) == 2


def test_thumbnails_go_with_the_last_image_that_uses_the_file(client, app, alice, bob, renders):
    a, b = uploaded(client, alice, LANDSCAPE), uploaded(client, bob, LANDSCAPE)
    for image, actor in ((a, alice), (b, bob)):
        res = call(client, "GET", f"/images/{image['id']}/thumbnail", actor, params={"size": 64})
        assert res.status_int == 200, res.text
    assert len(renders) == 1  # the same bytes share the cached thumbnail
    assert len(thumbnail_files(app)) == 1

    assert call(client, "DELETE", f"/images/{a['id']}", alice).status_int == 204
    assert len(thumbnail_files(app)) == 1
    assert call(client, "DELETE", f"/images/{b['id']}", bob).status_int == 204
    assert stored_files(storage_dir(app)) == []
    assert_error(call(client, "GET", f"/images/{b['id']}/thumbnail", bob), 404, "not_found")

    # Uploading the same bytes again renders a fresh thumbnail, not a stale one.
    c = uploaded(client, alice, LANDSCAPE)
    res = call(client, "GET", f"/images/{c['id']}/thumbnail", alice, params={"size": 64})
    assert res.status_int == 200, res.text
    assert len(renders) == 2 and len(thumbnail_files(app)) == 1


def test_a_missing_stored_file_is_404_not_500(client, app, alice):
    image = uploaded(client, alice, LANDSCAPE)
    sha = image["sha256"]
    (storage_dir(app) / sha[:2] / sha[2:4] / sha).unlink()
    for path in ("file", "thumbnail"):
        assert_error(call(client, "GET", f"/images/{image['id']}/{path}", alice), 404,
                     "not_found")
