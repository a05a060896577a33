"""The file stores (janus.storage: the local folder and S3, the same tests on
both) and thumbnails.

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
from janus.imaging.thumbnails import THUMBNAIL_SIZES, cached_thumbnail, make_thumbnail
from janus.storage import LocalStore
from janus.storage.base import thumbnail_name
from tests.helpers import stored_files
from tests.images import GOOD, camera_jpeg, photo_like, save
from tests.storage import backing_dir, both_stores


# -- storage -----------------------------------------------------------------------
@both_stores
def test_identical_bytes_are_stored_once(store):
    root = backing_dir(store)
    data = GOOD["png_grey"][0]
    key = store.put(data)
    assert store.put(bytes(data)) == key
    assert key == f"{key[6:8]}/{key[8:10]}/{key[6:]}" and len(key) == 70
    assert stored_files(root) == [root / key]
    blob = store.open(key)
    assert blob.size == len(data) and blob.read() == data
    assert store.read(key) == data
    assert store.put(b"other bytes") != key


@both_stores
def test_delete_is_idempotent(store):
    key = store.put(b"abc")
    store.put_thumbnail(key, 64, b"thumb")
    assert store.exists(key)
    store.delete(key)
    store.delete(key)
    assert not store.exists(key) and stored_files(backing_dir(store)) == []
    assert store.open_thumbnail(key, 64) is None
    with pytest.raises(NotFound):
        store.open(key)


@both_stores
def test_a_large_object_streams_in_chunks(store):
    data = os.urandom(3 * 1024 * 1024 + 5)  # several chunks, not a multiple of one
    key = store.put(data)
    blob = store.open(key)
    chunks = list(blob.chunks())
    blob.close()
    assert blob.size == len(data) and b"".join(chunks) == data
    assert len(chunks) > 1 and max(map(len, chunks)) <= 1024 * 1024


@both_stores
def test_the_listing_names_the_layout_and_nothing_else(store):
    key = store.put(b"abc")
    store.put_thumbnail(key, 128, b"thumb")
    names = sorted(item.name for item in store.listing())
    assert names == sorted([key, thumbnail_name(key, 128)])
    stray = backing_dir(store) / "ab" / "notes.txt"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"not the store's")
    assert sorted(item.name for item in store.listing()) == names
    with pytest.raises(ValidationError):
        store.remove("ab/notes.txt")


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)

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
@both_stores
def test_keys_cannot_escape_the_root(store, key):
    for use in (store.exists, store.open, store.read, store.delete, store.delete_thumbnails,
                store.remove, lambda k: store.open_thumbnail(k, 64),
                lambda k: store.put_thumbnail(k, 64, b"x")):
        with pytest.raises(ValidationError):
            use(key)
    assert stored_files(backing_dir(store)) == []


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


@both_stores
def test_thumbnail_is_cached_once_and_invalidated(store, monkeypatch):
    root = backing_dir(store)
    key = store.put(save(photo_like(8, (800, 600)), "JPEG"))
    calls = []
    real = thumbnails.make_thumbnail
    monkeypatch.setattr(thumbnails, "make_thumbnail",
                        lambda *args: calls.append(args) or real(*args))
    made = cached_thumbnail(store, key, 128).read()
    first = root / "thumbnails" / key / "128.webp"
    assert first.read_bytes() == made
    stamp = first.stat().st_mtime_ns
    assert cached_thumbnail(store, key, 128).read() == made
    assert len(calls) == 1 and first.stat().st_mtime_ns == stamp
    assert Image.open(first).size == (128, 96)
    cached_thumbnail(store, key, 64).close()
    assert len(calls) == 2
    store.delete_thumbnails(key)
    assert not first.exists() and store.exists(key)
    cached_thumbnail(store, key, 128).close()
    assert len(calls) == 3 and first.exists()
    assert not [p for p in stored_files(root) if p.name.startswith(".tmp-")]
    store.delete(key)
    assert not first.exists()
    with pytest.raises(NotFound):
        cached_thumbnail(store, key, 128)
