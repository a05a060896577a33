"""janus.imaging analysis: histogram, colours, contrast, transparency and the
perceptual hash.

No database and no binary fixtures: every image is generated with Pillow
(tests/images.py; the malformed ones are built byte by byte).
"""
from __future__ import annotations

import io
import itertools

import pytest
from PIL import ExifTags, Image, ImageDraw, ImageOps

from janus.errors import PayloadTooLarge, UnsupportedMediaType, ValidationError
from janus.imaging import analysis
from janus.imaging.analysis import analyse, contrast_ratio, hamming, int_to_phash, phash_to_int
from janus.imaging.thumbnails import make_thumbnail
from tests.images import (
    GOOD,
    camera_jpeg,
    half_black_white,
    photo_like,
    png_bomb,
    rgba_with_hole,
    save,
)


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
    assert result["dominant_colors"] == [{"rgb": list(colour),
                                          "hex": "#{:02x}{:02x}{:02x}".format(*colour),
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


_BOMB = png_bomb(20000, 20000)


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
