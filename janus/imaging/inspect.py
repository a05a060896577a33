"""What an uploaded image really is, read from its bytes.

Only the bytes are input: format, size, mode and the rest are what Pillow
finds, never what the client claims. (The file name is the images
repository's to check, on every write: janus.imaging.filenames.)
"""
from __future__ import annotations

import hashlib
import math

import msgspec
from PIL import BmpImagePlugin, Image, ImageMode

from janus.imaging.analysis import MAX_SIDE, fingerprint_image
from janus.imaging.decode import (
    DEFAULT_MAX_PIXELS,
    decode,
    decode_errors,
    too_many_pixels,
    webp_coding,
    webp_header,
)
from janus.imaging.exif import exif_subset
from janus.imaging.gate import full_decode
from janus.imaging.phash import phash_to_int

__all__ = ["ImageInfo", "MEDIA_TYPES", "inspect_image", "bit_depth"]

MEDIA_TYPES = {
    "BMP": "image/bmp",
    "GIF": "image/gif",
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "TIFF": "image/tiff",
    "WEBP": "image/webp",
}

_BMP_COMPRESSION = {v: k.lower() for k, v in BmpImagePlugin.BmpImageFile.COMPRESSIONS.items()}


class ImageInfo(msgspec.Struct, frozen=True, kw_only=True):
    format: str  # Pillow's name: "PNG", "JPEG", ...
    media_type: str
    width: int
    height: int
    color_type: str  # Pillow mode: "RGB", "RGBA", "L", "P", "I;16", ...
    bit_depth: int  # per channel
    compression_method: str | None
    file_size: int
    sha256: str
    image_metadata: dict
    phash: str  # 16 hex digits, as janus.imaging.analysis computes it

    def fields(self) -> dict:
        """The images-table columns (repos.images writable names) this fills."""
        out = msgspec.structs.asdict(self)
        del out["media_type"]
        out["phash"] = phash_to_int(self.phash)  # stored as a signed BIGINT
        return out


def bit_depth(mode: str) -> int:
    """Bits per channel of a Pillow mode: 1 for "1", 16 for I;16*, 32 for I/F."""
    try:
        typestr = ImageMode.getmode(mode).typestr  # e.g. "|u1", "<u2", "<i4", "|b1"
    except KeyError:
        return 8
    return 1 if typestr == "|b1" else int(typestr[2:]) * 8


def _compression(im: Image.Image, fmt: str, data: bytes) -> str | None:
    if fmt == "PNG":
        return "deflate"
    if fmt == "JPEG":
        return "jpeg"
    if fmt == "GIF":
        return "lzw"
    if fmt == "WEBP":
        return webp_header(data[:30])[1] or webp_coding(data)
    if fmt == "TIFF":
        value = im.info.get("compression")
        return value if isinstance(value, str) else None
    if fmt == "BMP":
        return _BMP_COMPRESSION.get(im.info.get("compression"))
    return None


def _dpi(info: dict) -> list[float] | None:
    try:
        x, y = (float(v) for v in info["dpi"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (math.isfinite(x) and math.isfinite(y) and x > 0 and y > 0):
        return None  # e.g. a TIFF rational with a zero denominator
    return [round(x, 2), round(y, 2)]


def _frames(im: Image.Image) -> int:
    # n_frames walks frame headers (GIF/TIFF) without decoding pixels.
    with decode_errors():
        n = getattr(im, "n_frames", 1)
    return n if isinstance(n, int) and n > 0 else 1


def _metadata(im: Image.Image, fmt: str, data: bytes, frames: int) -> dict:
    meta: dict = {}
    if (dpi := _dpi(im.info)) is not None:
        meta["dpi"] = dpi
    meta["exif"] = exif_subset(im)
    meta["animated"] = frames > 1
    meta["frames"] = frames
    meta["has_alpha"] = im.has_transparency_data
    meta["icc_profile"] = bool(im.info.get("icc_profile"))
    if fmt == "JPEG":
        meta["progressive"] = bool(im.info.get("progressive") or im.info.get("progression"))
    if fmt == "PNG" and data[12:16] == b"IHDR":
        # The mode hides it: a 16-bit RGB PNG opens as 8-bit "RGB".
        meta["stored_bit_depth"] = data[24]
    return meta


def inspect_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageInfo:
    """Validate an upload and describe it.

    Raises ValidationError ($.file for corrupt/truncated data),
    UnsupportedMediaType (not an image / format not allowed) or
    PayloadTooLarge (more than ``max_pixels`` pixels, checked before decoding).
    """
    data = bytes(data)
    # The pixels only feed the perceptual hash, which works on a copy reduced
    # to MAX_SIDE anyway: a JPEG is decoded straight at 1/2..1/8 scale, as
    # fingerprint() and analyse() do, so all three give the same hash.
    with full_decode():
        return _inspect(data, max_pixels)


def _inspect(data: bytes, max_pixels: int) -> ImageInfo:
    decoded = decode(data, max_pixels, reduce_to=(MAX_SIDE, MAX_SIDE))
    with decoded.image as im:
        frames = _frames(im)
        if frames > 1:
            with decode_errors():
                im.seek(0)
        # Counting frames may grow the canvas (GIF frames can overflow it);
        # a JPEG decoded at reduced scale has the size its file states.
        width, height = decoded.stored_size if decoded.reduced else im.size
        if width * height > max_pixels:
            raise too_many_pixels(width, height, max_pixels)
        fmt = "JPEG" if im.format == "MPO" else im.format  # MPO: a JPEG with extra pictures
        return ImageInfo(
            format=fmt,
            media_type=MEDIA_TYPES[fmt],
            width=width,
            height=height,
            color_type=im.mode,
            bit_depth=bit_depth(im.mode),
            compression_method=_compression(im, fmt, data),
            file_size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            image_metadata=_metadata(im, fmt, data, frames),
            phash=fingerprint_image(im),
        )
