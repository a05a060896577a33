"""An upload decodes a large JPEG at reduced scale (``inspect_image``, through
``janus.imaging.decode``'s ``reduce_to``): its record still describes the
full image, a damaged file is refused exactly when a full decode refuses it,
a pixel bomb is refused before decoding, EXIF orientation still turns the
hash, and the perceptual hash stays within a few bits of a full decode's.

No binary fixtures: every image is generated (tests/images.py).
"""
from __future__ import annotations

import io
import struct

import pytest
from PIL import Image, ImageFile, ImageOps

from janus.errors import PayloadTooLarge, ValidationError
from janus.imaging.analysis import fingerprint, fingerprint_image
from janus.imaging.decode import decode
from janus.imaging.inspect import inspect_image
from janus.imaging.phash import hamming
from tests.images import camera_jpeg, photo_like, save

BIG = (2048, 1536)  # libjpeg's 1/4 scale (512x384) is the smallest covering MAX_SIDE
HUGE = (2560, 2048)  # 1/8 scale (320x256)


@pytest.fixture(scope="module")
def big_photo():
    return photo_like(3, BIG)


def _mpo(im: Image.Image) -> bytes:
    return save(im, "MPO", save_all=True, append_images=[im.rotate(180)])


VARIANTS = {
    "baseline": lambda im: save(im, "JPEG", quality=85),
    "progressive": lambda im: save(im, "JPEG", quality=85, progressive=True),
    "greyscale": lambda im: save(im.convert("L"), "JPEG"),
    "cmyk": lambda im: save(im.convert("CMYK"), "JPEG"),
    "mpo": _mpo,
}


@pytest.fixture
def decoded_sizes(monkeypatch):
    """(format, size) of every image whose pixels were decoded, as decoded."""
    seen = []
    load = ImageFile.ImageFile.load

    def spy(self):
        if self.tile:  # pixels still to decode (a second load() is a no-op)
            seen.append((self.format, self.size))
        return load(self)
    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return seen


@pytest.mark.parametrize("variant", VARIANTS)
def test_described_at_full_size_but_never_decoded_at_it(big_photo, decoded_sizes, variant):
    data = VARIANTS[variant](big_photo)

    info = inspect_image(data)

    with Image.open(io.BytesIO(data)) as im:  # an independent reading of the header
        assert (info.width, info.height, info.color_type) == (im.width, im.height, im.mode)
    assert (info.format, info.bit_depth, info.compression_method) == ("JPEG", 8, "jpeg")
    assert decoded_sizes == [(Image.open(io.BytesIO(data)).format, (512, 384))]
    # The same reduced decode as fingerprint() and analyse(): the same hash.
    assert info.phash == fingerprint(data)


def test_a_small_jpeg_is_decoded_whole(decoded_sizes):
    inspect_image(save(photo_like(1, (400, 300)), "JPEG"))
    assert decoded_sizes == [("JPEG", (400, 300))]  # 1/2 scale would not cover MAX_SIDE


def _sos(data: bytes) -> int:
    return data.rindex(b"\xff\xda")


# Each takes the encoded bytes and damages them.
DAMAGE = {
    "cut_in_half": lambda d: d[:len(d) // 2],
    "cut_at_90_percent": lambda d: d[:len(d) * 9 // 10],
    "no_end_marker": lambda d: d[:-2],
    "cut_just_after_the_last_scan_header": lambda d: d[:_sos(d) + 40],
    "junk_in_the_scan": lambda d: d[:len(d) // 2] + bytes(range(256)) * 4 + d[len(d) // 2 + 1024:],
    "zeros_in_the_scan": lambda d: d[:len(d) // 2] + bytes(1000) + d[len(d) // 2 + 1000:],
}


def _full_decode_refuses(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
    except OSError:
        return True
    return False


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("variant", ["baseline", "progressive"])
def test_damage_is_refused_exactly_when_a_full_decode_refuses_it(big_photo, variant, damage):
    data = DAMAGE[damage](VARIANTS[variant](big_photo))

    if _full_decode_refuses(data):
        with pytest.raises(ValidationError) as info:
            inspect_image(data)
        assert info.value.details[0]["path"] == "$.file"
    else:  # libjpeg only warns: the full decode would have stored it too
        assert inspect_image(data).width == BIG[0]


def test_every_truncation_is_refused(big_photo):
    # Not left to the comparison above: a cut file must never pass.
    data = VARIANTS["progressive"](big_photo)
    for damage in ("cut_in_half", "cut_at_90_percent", "no_end_marker"):
        with pytest.raises(ValidationError):
            inspect_image(DAMAGE[damage](data))


def test_a_jpeg_claiming_too_many_pixels_is_refused_before_decoding(decoded_sizes):
    data = bytearray(save(photo_like(1, (64, 48)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 9000, 9000)  # height, width: 81 MP

    with pytest.raises(PayloadTooLarge) as info:
        inspect_image(bytes(data), max_pixels=50_000_000)

    assert info.value.details["pixels"] == 81_000_000
    assert decoded_sizes == []


def test_exif_orientation_still_turns_the_hash():
    tagged = camera_jpeg(BIG, orientation=6)
    with Image.open(io.BytesIO(tagged)) as im:
        upright = save(ImageOps.exif_transpose(im), "PNG")  # full decode, turned, lossless
        im.load()
        sideways = save(im, "PNG")  # pixels as stored, tag dropped

    info = inspect_image(tagged)

    assert (info.width, info.height) == BIG  # as stored; the tag says how to show it
    assert info.image_metadata["exif"]["Orientation"] == 6
    assert hamming(info.phash, inspect_image(upright).phash) <= 4
    assert hamming(info.phash, inspect_image(sideways).phash) > 20


def _full_decode_phash(data: bytes) -> str:
    """The hash uploads stored before they decoded at reduced scale."""
    with decode(data).image as im:
        return fingerprint_image(im)


# (seed, size): two at 1/4 scale that differ from the full decode's hash
# (measured: 4 and 2 bits), two at 1/8 scale.
@pytest.mark.parametrize(("seed", "size"), [(0, (3000, 2000)), (3, (3000, 2000)), (1, HUGE),
                                            (2, HUGE)])
def test_the_hash_stays_within_a_few_bits_of_a_full_decode(seed, size, decoded_sizes):
    data = save(photo_like(seed, size), "JPEG", quality=90, progressive=seed % 2 == 1)

    reduced = inspect_image(data).phash
    [(_, decoded)] = decoded_sizes
    assert decoded[0] in (size[0] // 4, size[0] // 8)

    # Measured over 52 generated photos: 47 identical, the rest 2-4 bits
    # (docs/images.md); a re-encode at quality 60 moves it up to 6.
    assert hamming(reduced, _full_decode_phash(data)) <= 4
