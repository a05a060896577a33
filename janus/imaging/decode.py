"""Opening untrusted image bytes with Pillow, safely.

Everything that touches client bytes goes through ``open_image`` and runs its
pixel work inside ``decode_errors()``, so every failure mode of a hostile file
becomes one of three typed errors:

* not an image, or a format outside ``ALLOWED_FORMATS`` -> UnsupportedMediaType
* more pixels than the caller's limit                 -> PayloadTooLarge
* truncated or corrupt data                            -> ValidationError at $.file
"""
from __future__ import annotations

import io
import os
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple, Union

from PIL import Image, ImageFile, UnidentifiedImageError

from janus.errors import InternalError, PayloadTooLarge, UnsupportedMediaType, ValidationError

ALLOWED_FORMATS = ("BMP", "GIF", "JPEG", "PNG", "TIFF", "WEBP")
# Matches Config.max_image_pixels' default; callers pass the configured value.
DEFAULT_MAX_PIXELS = 50_000_000
# Where a bad upload is reported in a ValidationError (the multipart field).
FILE_PATH = "$.file"

Source = Union[bytes, bytearray, memoryview, "os.PathLike[str]", str]

# Errors Pillow's plugins and decoders raise on malformed input. Anything else
# (MemoryError, programming errors) is not the client's fault and propagates.
_CORRUPT = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError,
            TypeError, KeyError, ZeroDivisionError, OverflowError)


_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"),
               (b"GIF89a", "GIF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
               (b"II+\x00", "TIFF"), (b"MM\x00+", "TIFF"), (b"BM", "BMP"))


def sniff(head: bytes) -> str | None:
    """The allowed format ``head`` claims to be by its magic bytes, if any."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for magic, fmt in _SIGNATURES if head.startswith(magic)), None)


def unsupported() -> UnsupportedMediaType:
    names = ", ".join(ALLOWED_FORMATS)
    return UnsupportedMediaType(f"not an image in a supported format ({names})",
                                details={"supported_formats": list(ALLOWED_FORMATS)})


def too_many_pixels(width: int, height: int, max_pixels: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"image is {width}x{height} = {width * height} pixels; the limit is {max_pixels}",
        details={"width": width, "height": height, "pixels": width * height,
                 "max_pixels": max_pixels})


def corrupt(reason: str = "truncated or corrupt image data") -> ValidationError:
    return ValidationError.at(FILE_PATH, reason)


# Set once for the process: Pillow's own bomb limit is never a silent pass.
warnings.simplefilter("error", Image.DecompressionBombWarning)


@contextmanager
def decode_errors() -> Iterator[None]:
    """Translate Pillow's exceptions on hostile input into typed errors.

    DecompressionBombWarning is escalated to an error once, at import (below):
    ``warnings.catch_warnings()`` per decode would swap process-wide state
    under gunicorn's threads. Our own max_pixels check runs regardless.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone flipped the global: truncated uploads would pass silently.
        raise InternalError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    try:
        yield
    except UnidentifiedImageError:
        raise unsupported() from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PayloadTooLarge(f"image is too large to decode safely: {exc}") from None
    except _CORRUPT as exc:
        raise corrupt(f"truncated or corrupt image data ({type(exc).__name__})") from None


def _as_file(source: Source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(source)
    return os.fspath(source)  # Pillow opens (lazily) and closes it itself


def _head(source: Source, n: int = 30) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[:n])
    with open(source, "rb") as fh:
        return fh.read(n)


def webp_header(head: bytes) -> tuple[tuple[int, int] | None, str | None]:
    """(canvas size, "lossy"/"lossless") from a WebP's first 30 bytes.

    Pillow's WebP plugin allocates the whole canvas inside Image.open (it is
    not lazy like PNG/JPEG), so the size must be known before opening.
    For VP8X (extended) files the coding is only known after the chunk walk
    in ``webp_coding``; here it is None.
    """
    if len(head) < 30 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None, None
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack_from("<HH", head, 26)
        return (w & 0x3FFF, h & 0x3FFF), "lossy"
    if chunk == b"VP8L" and head[20] == 0x2F:
        bits = struct.unpack_from("<I", head, 21)[0]
        return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1), "lossless"
    if chunk == b"VP8X":
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return (w, h), None
    return None, None


def webp_coding(data: bytes) -> str | None:
    """"lossy"/"lossless" from the first image chunk of a (VP8X) WebP."""
    pos, end = 12, min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    while pos + 8 <= end:
        fourcc = data[pos:pos + 4]
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        if fourcc == b"VP8 ":
            return "lossy"
        if fourcc == b"VP8L":
            return "lossless"
        if fourcc == b"ANMF":  # animation frame: its own sub-chunks follow a 16-byte header
            pos += 8 + 16
            continue
        pos += 8 + size + (size & 1)  # chunks are padded to even sizes
    return None


def open_image(source: Source, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Identify ``source`` and check its size; pixels are NOT decoded yet.

    Raises the typed errors above. The caller closes the image (``with``) and
    runs load()/convert()/seek() inside ``decode_errors()``.
    """
    if Image.MAX_IMAGE_PIXELS:
        # Pillow's own limit only warns below twice its value; hold to it here
        # rather than through the process-wide warnings filter, which test
        # runners and other libraries may reset.
        max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS)
    head = _head(source)
    if not head:
        raise UnsupportedMediaType("empty file: not an image")
    size, _ = webp_header(head)
    if sniff(head) == "WEBP":
        if size is None:
            raise corrupt("malformed WebP header")
        if size[0] * size[1] > max_pixels:
            raise too_many_pixels(size[0], size[1], max_pixels)
    try:
        with decode_errors():
            # formats= keeps every other Pillow plugin away from hostile bytes.
            im = Image.open(_as_file(source), formats=list(ALLOWED_FORMATS))
    except UnsupportedMediaType:
        if (claimed := sniff(head)) is not None:
            # It starts like a PNG/JPEG/... but its header is broken or cut off.
            raise corrupt(f"malformed or truncated {claimed} header") from None
        raise
    try:
        if im.format not in ALLOWED_FORMATS and im.format != "MPO":
            raise unsupported()
        width, height = im.size
        if width < 1 or height < 1:
            raise corrupt("image has no pixels")
        if width * height > max_pixels:
            raise too_many_pixels(width, height, max_pixels)
    except BaseException:
        im.close()
        raise
    return im


class Decoded(NamedTuple):
    image: Image.Image  # frame 0, loaded; the caller closes it
    stored_size: tuple[int, int]  # as the file says, before any reduction
    reduced: bool  # decoded below full scale: image.size is smaller than stored_size


def decode(source: Source, max_pixels: int = DEFAULT_MAX_PIXELS,
           reduce_to: tuple[int, int] | None = None) -> Decoded:
    """Open, verify checksums where the format has them, and load frame 0.

    PNG's verify() checks every chunk CRC (IDAT included), which catches
    flipped bytes that zlib alone may decode into garbage; verify() leaves
    the image unusable, hence the second open.

    ``reduce_to``: a JPEG is decoded at the smallest DCT scale (1/2, 1/4 or
    1/8, Image.draft) that still covers this size. libjpeg then still reads
    and Huffman-decodes every byte of every scan, so a truncated or corrupt
    file fails as a full decode does, but skips most of the inverse DCT, the
    colour conversion and the full-size buffer. Other formats load at full
    size whatever it says.
    """
    with open_image(source, max_pixels) as probe:
        if probe.format == "PNG":
            with decode_errors():
                probe.verify()
    im = open_image(source, max_pixels)
    stored_size = im.size
    try:
        with decode_errors():
            if reduce_to is not None and im.format in ("JPEG", "MPO"):
                im.draft(None, reduce_to)  # keeps the mode; only the size shrinks
            im.load()
    except BaseException:
        im.close()
        raise
    return Decoded(im, stored_size, im.size != stored_size)
