"""janus.imaging files: content-addressed storage and thumbnails.

No database and no binary fixtures: every image is generated with Pillow
(tests/images.py; the malformed ones are built byte by byte).
"""
from __future__ import annotations

import io
import os

import pytest
from PIL import ExifTags, Image, ImageDraw

from janus.errors import NotFound, ValidationError
from janus.imaging import thumbnails
from janus.imaging.storage import FileStore
from janus.imaging.thumbnails import THUMBNAIL_SIZES, cached_thumbnail, make_thumbnail
from tests.helpers import stored_files
from tests.images import GOOD, camera_jpeg, photo_like, save


# -- storage -----------------------------------------------------------------------
def test_identical_bytes_are_stored_once(tmp_path):
    store = FileStore(tmp_path)
    data = GOOD["png_grey"][0]
    key = store.put(data)
    assert store.put(bytes(data)) == key
    assert key == f"{key[6:8]}/{key[8:10]}/{key[6:]}" and len(key) == 70
    assert stored_files(tmp_path) == [tmp_path / key]
    with store.open(key) as fh:
        assert fh.read() == data
    assert store.put(b"other bytes") != key


def test_delete_is_idempotent(tmp_path):
    store = FileStore(tmp_path)
    key = store.put(b"abc")
    assert store.exists(key)
    store.delete(key)
    store.delete(key)
    assert not store.exists(key) and stored_files(tmp_path) == []
    with pytest.raises(NotFound):
        store.open(key)


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    store = FileStore(tmp_path)

    def boom(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        store.put(b"abc")
    assert stored_files(tmp_path) == []


_SHA = "ab" * 32


@pytest.mark.parametrize("key", ["../etc/passwd", f"ab/ab/../../{_SHA}", f"/ab/ab/{_SHA}",
                                 f"ab\\ab\\{_SHA}", f"cd/ab/{_SHA}", f"AB/AB/{_SHA.upper()}",
                                 f"ab/ab/{_SHA}/..", f"ab/ab/{_SHA}\x00", "", None,
                                 f"ab/ab/{_SHA[:-1]}g", f"ab/ab/{_SHA}\n"])
def test_keys_cannot_escape_the_root(tmp_path, key):
    store = FileStore(tmp_path)
    for use in (store.path, store.exists, store.open, store.delete, store.delete_thumbnails,
                lambda k: store.thumbnail_path(k, 64)):
        with pytest.raises(ValidationError):
            use(key)


# -- thumbnails ----------------------------------------------------------------------
@pytest.mark.parametrize("size", THUMBNAIL_SIZES)
def test_thumbnail_is_webp_with_longest_side_size(size):
    thumb = Image.open(io.BytesIO(make_thumbnail(save(photo_like(7, (1200, 800)), "PNG"), size)))
    assert thumb.format == "WEBP"
    assert thumb.size == (size, round(size * 2 / 3))


def test_thumbnail_follows_exif_orientation():
    landscape = camera_jpeg(size=(1200, 800), orientation=6)
    thumb = Image.open(io.BytesIO(make_thumbnail(landscape, 256)))
    assert thumb.size == (171, 256)  # portrait, as a viewer would show it
    upright = Image.open(io.BytesIO(make_thumbnail(camera_jpeg((1200, 800), orientation=1), 256)))
    assert upright.size == (256, 171)
    assert thumb.getexif().get(ExifTags.Base.Orientation) is None  # no metadata copied


def test_thumbnail_never_enlarges():
    assert Image.open(io.BytesIO(make_thumbnail(GOOD["png_grey"][0], 512))).size == (90, 60)


@pytest.mark.parametrize("name, mode, check", [
    ("png_16bit", "RGB", lambda t: 100 < t.convert("L").getpixel((t.width // 2, 3)) < 160),
    ("png_p_trns", "RGBA", lambda t: t.getchannel("A").getextrema()[0] == 0),
    ("png_p", "RGB", lambda t: True),
    ("tiff_cmyk", "RGB", lambda t: True),
    ("png_1bit", "RGB", lambda t: t.convert("L").getextrema() != (0, 0)),
    ("png_rgba", "RGB", lambda t: True),  # all opaque: libwebp drops the alpha
    ("gif_animated", "RGB", lambda t: getattr(t, "n_frames", 1) == 1),
])
def test_thumbnail_modes(name, mode, check):
    thumb = Image.open(io.BytesIO(make_thumbnail(GOOD[name][0], 64)))
    assert thumb.format == "WEBP" and thumb.mode == mode
    assert check(thumb)


def test_thumbnail_of_la_keeps_alpha():
    im = Image.new("LA", (100, 50), (128, 0))
    ImageDraw.Draw(im).rectangle((0, 0, 49, 49), fill=(200, 255))
    thumb = Image.open(io.BytesIO(make_thumbnail(save(im, "PNG"), 64)))
    assert thumb.mode == "RGBA" and thumb.getchannel("A").getextrema() == (0, 255)


def test_thumbnail_rejects_unknown_sizes():
    with pytest.raises(ValidationError):
        make_thumbnail(GOOD["png_grey"][0], 100)


def test_thumbnail_is_cached_once_and_invalidated(tmp_path, monkeypatch):
    store = FileStore(tmp_path)
    key = store.put(save(photo_like(8, (800, 600)), "JPEG"))
    calls = []
    real = thumbnails.make_thumbnail
    monkeypatch.setattr(thumbnails, "make_thumbnail",
                        lambda *args: calls.append(args) or real(*args))
    first = cached_thumbnail(store, key, 128)
    assert first == tmp_path / "thumbnails" / key / "128.webp"
    stamp = first.stat().st_mtime_ns
    assert cached_thumbnail(store, key, 128) == first
    assert len(calls) == 1 and first.stat().st_mtime_ns == stamp
    assert Image.open(first).size == (128, 96)
    cached_thumbnail(store, key, 64)
    assert len(calls) == 2
    store.delete_thumbnails(key)
    assert not first.exists() and store.exists(key)
    cached_thumbnail(store, key, 128)
    assert len(calls) == 3 and first.exists()
    assert not [p for p in stored_files(tmp_path) if p.name.startswith(".tmp-")]
    store.delete(key)
    assert not first.exists()
    with pytest.raises(NotFound):
        cached_thumbnail(store, key, 128)
