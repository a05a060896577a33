"""janus.imaging inspection: what the bytes say, and hostile input
(malformed, truncated, decompression bombs, bad filenames).

No database and no binary fixtures: every image is generated with Pillow
(tests/images.py; the malformed ones are built byte by byte).
"""
from __future__ import annotations

import hashlib
import io
import random

import pytest
from PIL import Image, ImageFile

from janus.errors import InternalError, PayloadTooLarge, UnsupportedMediaType, ValidationError
from janus.imaging.filenames import safe_filename
from janus.imaging.inspect import MEDIA_TYPES, bit_depth, inspect_image
from tests.images import (
    GOOD,
    camera_jpeg,
    flip_idat,
    photo_like,
    png_bomb,
    png_header_only,
    save,
    webp_canvas_header,
)


# -- inspect: what the bytes say -------------------------------------------------
@pytest.mark.parametrize("name", list(GOOD))
def test_inspect_matches_what_pillow_reads(name):
    data, fmt, mode, depth, compression = GOOD[name]
    info = inspect_image(data, max_pixels=10**6)
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


def test_inspect_flags_per_format():
    meta = {name: inspect_image(GOOD[name][0]).image_metadata for name in GOOD}
    assert meta["gif_animated"]["animated"] and meta["gif_animated"]["frames"] == 2
    assert meta["png_rgba"]["has_alpha"] and meta["png_rgba"]["icc_profile"]
    assert meta["png_p_trns"]["has_alpha"] and not meta["png_p"]["has_alpha"]
    assert meta["png_16bit"]["stored_bit_depth"] == 16
    assert meta["jpeg_exif"]["progressive"] is False
    assert inspect_image(save(photo_like(1), "JPEG", progressive=True)
                         ).image_metadata["progressive"] is True


def test_mpo_is_reported_as_the_jpeg_it_is():
    first = photo_like(1, (120, 80))
    data = save(first, "MPO", save_all=True, append_images=[first.rotate(180)])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    info = inspect_image(data)
    assert (info.format, info.media_type, info.image_metadata["frames"]) == \
        ("JPEG", "image/jpeg", 2)


def test_exif_subset_is_safe_and_iso():
    info = inspect_image(camera_jpeg(model="M" * 1000 + "\x00\x01"))
    exif = info.image_metadata["exif"]
    assert exif == {"Make": "Canon", "Model": "M" * 128, "Orientation": 6,
                    "DateTimeOriginal": "2024-05-01T12:34:56", "ExposureTime": 0.004,
                    "FNumber": 2.8, "ISO": 400}
    assert info.image_metadata["dpi"] == [300, 300]
    assert "GPSInfo" not in str(info.image_metadata)  # GPS is never copied


def test_fields_are_the_images_columns():
    fields = inspect_image(GOOD["png_grey"][0]).fields()
    # Not the filename: the client's, checked by the images repository.
    assert set(fields) == {"format", "width", "height", "color_type", "bit_depth",
                           "compression_method", "file_size", "sha256", "image_metadata",
                           "phash"}


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
        inspect_image(data)
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
        inspect_image(data, max_pixels=max_pixels)


def test_pixel_limit_does_not_rely_on_pillow_global(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(PayloadTooLarge) as info:
        inspect_image(_BOMB, max_pixels=50_000_000)
    assert info.value.details["pixels"] == 20000 * 20000
    assert inspect_image(png_bomb(300, 300), max_pixels=300 * 300).width == 300
    with pytest.raises(ValidationError):  # the same header, within the limit: decoding fails
        inspect_image(png_header_only(300, 300), max_pixels=300 * 300)


def test_truncated_images_never_pass_even_if_pillow_is_told_to(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(InternalError):
        inspect_image(HOSTILE["png_truncated_half"][0])


@pytest.mark.parametrize("name", ["../x.png", "a/b.png", "a\\b.png", "/etc/passwd",
                                  "C:evil.png", "", "   ", "a\x00b.png", "x" * 256, ".", "..",
                                  "new\nline.png", None, 42])
def test_bad_filenames(name):
    with pytest.raises(ValidationError) as info:
        safe_filename(name)
    assert info.value.details[0]["path"] == "$.filename"


@pytest.mark.parametrize("name, cleaned", [(" cat.png ", "cat.png"), ("x" * 255, "x" * 255),
                                           ("Ĝimp ✓.png", "Ĝimp ✓.png"),
                                           ("e\u0301.png", "\u00e9.png"), ("..png", "..png")])
def test_good_filenames(name, cleaned):
    assert safe_filename(name) == cleaned
