"""janus.imaging: inspection, hostile uploads, storage, thumbnails, analysis.

No database and no binary fixtures: every image is generated with Pillow
(tests/images.py; the malformed ones are built byte by byte).
"""
from __future__ import annotations

import hashlib
import io
import itertools
import os
import random

import pytest
from PIL import ExifTags, Image, ImageDraw, ImageFile, ImageOps

from janus.errors import (InternalError, NotFound, PayloadTooLarge, UnsupportedMediaType,
                          ValidationError)
from janus.imaging import analysis, thumbnails
from janus.imaging.analysis import (analyse, contrast_ratio, hamming, int_to_phash, phash_to_int)
from janus.imaging.inspect import MEDIA_TYPES, bit_depth, inspect_image, safe_filename
from janus.imaging.storage import FileStore
from janus.imaging.thumbnails import THUMBNAIL_SIZES, cached_thumbnail, make_thumbnail
from tests.images import SRGB, animated_gif, camera_jpeg, flip_idat, half_black_white, p_image, photo_like, png_bomb, png_header_only, save, sixteen_bit, webp_canvas_header


# name -> (bytes, expected format, mode, bit depth, compression)
GOOD = {
    "jpeg_exif": (camera_jpeg(), "JPEG", "RGB", 8, "jpeg"),
    "png_rgba": (save(photo_like(1, (90, 60)).convert("RGBA"), "PNG", icc_profile=SRGB),
                 "PNG", "RGBA", 8, "deflate"),
    "png_grey": (save(photo_like(1, (90, 60)).convert("L"), "PNG"), "PNG", "L", 8, "deflate"),
    "png_p": (p_image(False), "PNG", "P", 8, "deflate"),
    "png_p_trns": (p_image(True), "PNG", "P", 8, "deflate"),
    "png_16bit": (save(sixteen_bit(), "PNG"), "PNG", "I;16", 16, "deflate"),
    "png_1bit": (save(photo_like(1, (90, 60)).convert("1"), "PNG"), "PNG", "1", 1, "deflate"),
    "gif_animated": (animated_gif(), "GIF", "P", 8, "lzw"),
    "webp_lossy": (save(photo_like(2, (90, 60)), "WEBP", quality=70), "WEBP", "RGB", 8, "lossy"),
    "webp_lossless": (save(photo_like(2, (90, 60)), "WEBP", lossless=True), "WEBP", "RGB", 8,
                      "lossless"),
    "tiff_lzw": (save(photo_like(2, (90, 60)), "TIFF", compression="tiff_lzw"), "TIFF", "RGB", 8,
                 "tiff_lzw"),
    "tiff_cmyk": (save(photo_like(2, (90, 60)).convert("CMYK"), "TIFF"), "TIFF", "CMYK", 8, "raw"),
    "bmp": (save(photo_like(2, (90, 60)), "BMP"), "BMP", "RGB", 8, "raw"),
}


# -- inspect: what the bytes say -------------------------------------------------
@pytest.mark.parametrize("name", list(GOOD))
def test_inspect_matches_what_pillow_reads(name):
    data, fmt, mode, depth, compression = GOOD[name]
    info = inspect_image(data, f"{name}.bin", max_pixels=10**6)
    with Image.open(io.BytesIO(data)) as im:  # an independent reading
        assert (info.format, info.width, info.height, info.color_type) == \
            (im.format, im.width, im.height, im.mode)
        meta = info.image_metadata
        assert meta["frames"] == getattr(im, "n_frames", 1)
        assert meta["animated"] == (meta["frames"] > 1)
        assert meta["has_alpha"] == im.has_transparency_data
        assert meta["icc_profile"] == bool(im.info.get("icc_profile"))
        if "dpi" in im.info:
            assert meta["dpi"] == [round(float(v), 2) for v in im.info["dpi"]]
    assert (info.format, info.color_type, info.bit_depth, info.compression_method) == \
        (fmt, mode, depth, compression)
    assert info.media_type == MEDIA_TYPES[fmt]
    assert info.file_size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.filename == f"{name}.bin"


def test_inspect_flags_per_format():
    meta = {name: inspect_image(GOOD[name][0], "x").image_metadata for name in GOOD}
    assert meta["gif_animated"]["animated"] and meta["gif_animated"]["frames"] == 2
    assert meta["png_rgba"]["has_alpha"] and meta["png_rgba"]["icc_profile"]
    assert meta["png_p_trns"]["has_alpha"] and not meta["png_p"]["has_alpha"]
    assert meta["png_16bit"]["stored_bit_depth"] == 16
    assert meta["jpeg_exif"]["progressive"] is False
    assert inspect_image(save(photo_like(1), "JPEG", progressive=True),
                         "p.jpg").image_metadata["progressive"] is True


def test_mpo_is_reported_as_the_jpeg_it_is():
    first = photo_like(1, (120, 80))
    data = save(first, "MPO", save_all=True, append_images=[first.rotate(180)])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    info = inspect_image(data, "stereo.jpg")
    assert (info.format, info.media_type, info.image_metadata["frames"]) == \
        ("JPEG", "image/jpeg", 2)


def test_exif_subset_is_safe_and_iso():
    info = inspect_image(camera_jpeg(model="M" * 1000 + "\x00\x01"), "cam.jpg")
    exif = info.image_metadata["exif"]
    assert exif == {"Make": "Canon", "Model": "M" * 128, "Orientation": 6,
                    "DateTimeOriginal": "2024-05-01T12:34:56", "ExposureTime": 0.004,
                    "FNumber": 2.8, "ISO": 400}
    assert info.image_metadata["dpi"] == [300, 300]
    assert "GPSInfo" not in str(info.image_metadata)  # GPS is never copied


def test_fields_are_the_images_columns():
    fields = inspect_image(GOOD["png_grey"][0], " grey.png ").fields()
    assert set(fields) == {"filename", "format", "width", "height", "color_type", "bit_depth",
                           "compression_method", "file_size", "sha256", "image_metadata",
                           "phash"}
    assert fields["filename"] == "grey.png"


@pytest.mark.parametrize("mode, bits", [("1", 1), ("L", 8), ("P", 8), ("RGB", 8), ("RGBA", 8),
                                        ("LA", 8), ("CMYK", 8), ("I;16", 16), ("I;16B", 16),
                                        ("I", 32), ("F", 32)])
def test_bit_depth(mode, bits):
    assert bit_depth(mode) == bits


# -- inspect: hostile input -------------------------------------------------------
_png = save(photo_like(6, (200, 150)), "PNG")
_jpeg = save(photo_like(6, (200, 150)), "JPEG")

HOSTILE = {
    "empty": (b"", UnsupportedMediaType),
    "random_bytes": (random.Random(0).randbytes(4096), UnsupportedMediaType),
    "text": (b"hello, I am definitely a PNG\n" * 20, UnsupportedMediaType),
    "png_truncated_half": (_png[: len(_png) // 2], ValidationError),
    "png_without_iend": (_png[:-12], ValidationError),
    "png_header_only": (_png[:40], ValidationError),
    "jpeg_truncated_half": (_jpeg[: len(_jpeg) // 2], ValidationError),
    "jpeg_without_eoi": (_jpeg[:-2], ValidationError),
    "png_flipped_idat": (flip_idat(_png), ValidationError),
    "webp_bad_header": (b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(20), ValidationError),
    "ico": (save(photo_like(1, (32, 32)), "ICO"), UnsupportedMediaType),
    "ppm": (save(photo_like(1, (32, 32)), "PPM"), UnsupportedMediaType),
    "tga": (save(photo_like(1, (32, 32)), "TGA"), UnsupportedMediaType),
    "pdf": (save(photo_like(1, (32, 32)), "PDF"), UnsupportedMediaType),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bytes_raise_typed_errors(name):
    data, error = HOSTILE[name]
    with pytest.raises(error) as info:
        inspect_image(data, "upload.png")
    assert type(info.value) is error  # not a subclass standing in for another
    if error is ValidationError:
        assert info.value.details[0]["path"] == "$.file"


_BOMB = png_bomb(20000, 20000)


@pytest.mark.parametrize("data, max_pixels", [
    pytest.param(_BOMB, 50_000_000, id="20000x20000-beyond-pillow-limit"),
    pytest.param(png_bomb(8000, 8000), 50_000_000, id="8000x8000-our-limit-only"),
    pytest.param(png_bomb(10000, 10000), 10**9, id="pillow-warning-is-an-error"),
    pytest.param(png_bomb(300, 300), 300 * 300 - 1, id="one-pixel-over"),
    # Undecodable data: only a check made BEFORE decoding can answer 413 here.
    pytest.param(png_header_only(8000, 8000), 50_000_000, id="checked-before-decoding"),
    # Within Pillow's own limit: only our check, made before Image.open, stops it.
    pytest.param(webp_canvas_header(8000, 8000), 50_000_000, id="webp-canvas"),
])
def test_too_many_pixels(data, max_pixels):
    assert len(data) < 100_000  # tiny file, huge picture
    with pytest.raises(PayloadTooLarge):
        inspect_image(data, "bomb.png", max_pixels=max_pixels)


def test_pixel_limit_does_not_rely_on_pillow_global(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(PayloadTooLarge) as info:
        inspect_image(_BOMB, "bomb.png", max_pixels=50_000_000)
    assert info.value.details["pixels"] == 20000 * 20000
    assert inspect_image(png_bomb(300, 300), "ok.png", max_pixels=300 * 300).width == 300
    with pytest.raises(ValidationError):  # the same header, within the limit: decoding fails
        inspect_image(png_header_only(300, 300), "bad.png", max_pixels=300 * 300)


def test_truncated_images_never_pass_even_if_pillow_is_told_to(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(InternalError):
        inspect_image(HOSTILE["png_truncated_half"][0], "t.png")


@pytest.mark.parametrize("name", ["../x.png", "a/b.png", "a\\b.png", "/etc/passwd",
                                  "C:evil.png", "", "   ", "a\x00b.png", "x" * 256, ".", "..",
                                  "new\nline.png", None, 42])
def test_bad_filenames(name):
    with pytest.raises(ValidationError) as info:
        inspect_image(GOOD["png_grey"][0], name)
    assert info.value.details[0]["path"] == "$.filename"


@pytest.mark.parametrize("name, cleaned", [(" cat.png ", "cat.png"), ("x" * 255, "x" * 255),
                                           ("Ĝimp ✓.png", "Ĝimp ✓.png"),
                                           ("e\u0301.png", "\u00e9.png"), ("..png", "..png")])
def test_good_filenames(name, cleaned):
    assert safe_filename(name) == cleaned


# -- storage -----------------------------------------------------------------------
def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())


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


# -- analysis --------------------------------------------------------------------------
def test_half_black_half_white():
    result = analyse(save(half_black_white(), "PNG"))
    assert result["contrast_ratio"] == 21.0
    assert [(c["hex"], c["share"]) for c in result["dominant_colors"]] == \
        [("#000000", 0.5), ("#ffffff", 0.5)]
    assert result["brightness"] == {"mean": 127.5, "normalised": 0.5}
    assert result["contrast"]["rms"] == 127.5
    assert result["histogram"][0] == result["histogram"][255] == 0.5
    assert len(result["histogram"]) == 256 and sum(result["histogram"][1:255]) == 0
    assert result["has_transparency"] is False


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (12, 200, 99)])
def test_solid_colour(colour):
    result = analyse(Image.new("RGB", (120, 80), colour))
    assert result["contrast"]["rms"] == 0 and result["contrast_ratio"] == 1.0
    assert result["dominant_colors"] == [{"rgb": list(colour), "hex": "#%02x%02x%02x" % colour,
                                          "share": 1.0}]


def test_dominant_colours_are_ranked_and_sum_to_one():
    im = Image.new("RGB", (100, 100), (255, 0, 0))
    ImageDraw.Draw(im).rectangle((0, 0, 99, 29), fill=(0, 0, 255))
    ImageDraw.Draw(im).rectangle((0, 30, 99, 39), fill=(0, 255, 0))
    colours = analyse(im, k=5)["dominant_colors"]
    assert [(c["hex"], c["share"]) for c in colours] == \
        [("#ff0000", 0.6), ("#0000ff", 0.3), ("#00ff00", 0.1)]
    photo = analyse(photo_like(9), k=5)["dominant_colors"]
    assert len(photo) == 5 and abs(sum(c["share"] for c in photo) - 1) < 0.001
    assert [c["share"] for c in photo] == sorted((c["share"] for c in photo), reverse=True)


@pytest.mark.parametrize("a, b, ratio", [((0, 0, 0), (255, 255, 255), 21.0),
                                         ((255, 255, 255), (0, 0, 0), 21.0),
                                         ((119, 119, 119), (255, 255, 255), 4.48),
                                         ((0, 0, 255), (255, 255, 255), 8.59),
                                         ((10, 20, 30), (10, 20, 30), 1.0)])
def test_wcag_contrast_ratio(a, b, ratio):
    assert contrast_ratio(a, b) == ratio


def rgba_with_hole(alpha: int) -> Image.Image:
    im = photo_like(10, (120, 80)).convert("RGBA")
    im.putpixel((5, 5), (0, 0, 0, alpha))
    return im


@pytest.mark.parametrize("source, expected", [
    (rgba_with_hole(0), True), (rgba_with_hole(254), True), (rgba_with_hole(255), False),
    # Looked for on every pixel, not on the 256 px copy where it would average away.
    (save(rgba_with_hole(0).resize((1200, 800)), "PNG"), True),
    (GOOD["png_p_trns"][0], True), (GOOD["png_p"][0], False), (GOOD["webp_lossy"][0], False),
])
def test_transparency(source, expected):
    assert analyse(source)["has_transparency"] is expected


def test_single_transparent_pixel_in_a_large_image_is_found():
    im = Image.new("RGBA", (3000, 2000), (10, 20, 30, 255))
    im.putpixel((1234, 567), (10, 20, 30, 0))
    assert analyse(save(im, "PNG", compress_level=1))["has_transparency"] is True


def test_fully_transparent_pixels_do_not_count():
    im = Image.new("RGBA", (100, 100), (0, 0, 0, 0))  # transparent "black"
    ImageDraw.Draw(im).rectangle((0, 0, 49, 99), fill=(250, 250, 250, 255))
    result = analyse(im)
    assert [c["hex"] for c in result["dominant_colors"]] == ["#fafafa"]
    assert result["brightness"]["mean"] == 250 and result["histogram"][250] == 1.0


def test_same_answer_from_bytes_path_and_image(tmp_path):
    im = photo_like(11)
    data = save(im, "PNG")
    (tmp_path / "x.png").write_bytes(data)
    from_bytes, from_path, from_image = analyse(data), analyse(tmp_path / "x.png"), analyse(im)
    assert from_bytes == from_path == from_image
    assert from_bytes["version"] == analysis.ANALYSIS_VERSION >= 1
    assert from_bytes["parameters"]["k"] == 5 and from_bytes["parameters"]["max_side"] == 256
    assert from_bytes["analysed_size"] == [256, 192] and from_bytes["source_size"] == [640, 480]


@pytest.mark.parametrize("name", list(GOOD))
def test_every_accepted_format_analyses_and_thumbnails(name):
    data = GOOD[name][0]
    result = analyse(data)
    with Image.open(io.BytesIO(data)) as im:
        assert result["source_size"] == list(im.size)
    assert abs(sum(result["histogram"]) - 1) < 1e-3
    assert 1 <= len(result["dominant_colors"]) <= 5
    assert int(result["phash"], 16) != 0
    assert Image.open(io.BytesIO(make_thumbnail(data, 64))).format == "WEBP"


def test_analyse_rejects_bad_input():
    with pytest.raises(ValidationError):
        analyse(half_black_white(), k=0)
    with pytest.raises(UnsupportedMediaType):
        analyse(b"not an image")
    with pytest.raises(PayloadTooLarge):
        analyse(_BOMB)


# -- perceptual hash --------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_phash_survives_reencoding_and_resizing(seed):
    im = photo_like(seed)
    original = analyse(im)["phash"]
    assert len(original) == 16 and int(original, 16) >= 0
    assert hamming(original, analyse(save(im, "JPEG", quality=60))["phash"]) <= 6
    assert hamming(original, analyse(im.resize((320, 240)))["phash"]) <= 6
    assert hamming(original, analyse(im.resize((1280, 960)))["phash"]) <= 6


def test_phash_separates_unrelated_images():
    hashes = [analyse(photo_like(seed))["phash"] for seed in range(6)]
    distances = [hamming(a, b) for a, b in itertools.combinations(hashes, 2)]
    assert min(distances) > 20, distances


def test_phash_of_rotated_tag_matches_rotated_pixels():
    tagged = camera_jpeg((400, 300), orientation=6)
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(tagged)))  # the tag is consumed
    assert upright.size == (300, 400) and ExifTags.Base.Orientation not in upright.getexif()
    assert hamming(analyse(tagged)["phash"], analyse(upright)["phash"]) <= 2
    sideways = Image.open(io.BytesIO(tagged)).copy()
    del sideways.info["exif"]  # pixels as stored, tag dropped
    assert hamming(analyse(tagged)["phash"], analyse(sideways)["phash"]) > 20


@pytest.mark.parametrize("hex_hash, value", [("0000000000000000", 0), ("0000000000000001", 1),
                                             ("7fffffffffffffff", 2**63 - 1),
                                             ("8000000000000000", -2**63),
                                             ("ffffffffffffffff", -1)])
def test_phash_bigint_round_trip(hex_hash, value):
    assert phash_to_int(hex_hash) == value
    assert int_to_phash(value) == hex_hash
    assert int_to_phash(value % 2**64) == hex_hash


@pytest.mark.parametrize("bad", ["", "123", "zzzzzzzzzzzzzzzz", "0" * 17, None])
def test_phash_to_int_rejects_non_hashes(bad):
    with pytest.raises(ValueError):
        phash_to_int(bad)


def test_hamming():
    assert hamming("0000000000000000", "ffffffffffffffff") == 64
    assert hamming("00000000000000f0", "0000000000000000") == 4
    assert hamming(-1, 0) == 64 and hamming(phash_to_int("8000000000000000"), 0) == 1
