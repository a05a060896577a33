"""A small, JSON-safe subset of an image's EXIF.

EXIF is attacker-controlled and can be large or malformed; we keep only a
few well-known tags, as plain scalars, and never GPS (privacy). A broken EXIF
block drops the EXIF, it never rejects an otherwise valid image.
"""
from __future__ import annotations

import math
import unicodedata
from datetime import datetime

from PIL import ExifTags, Image

MAX_TEXT = 128

_BASE_TEXT = {"Make": ExifTags.Base.Make, "Model": ExifTags.Base.Model,
              "Software": ExifTags.Base.Software}
_SUB_TEXT = {"LensModel": ExifTags.Base.LensModel}
_SUB_NUMBER = {"ExposureTime": ExifTags.Base.ExposureTime, "FNumber": ExifTags.Base.FNumber,
               "FocalLength": ExifTags.Base.FocalLength}


def clean_text(value, limit: int = MAX_TEXT) -> str | None:
    """Printable text without NULs/control characters, at most ``limit`` chars."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    # Surrogates (from odd decodings) cannot be encoded as JSON/UTF-8.
    value = value.encode("utf-8", "replace").decode("utf-8")
    value = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C")
    value = value.strip()[:limit].strip()
    return value or None


def _number(value) -> float | None:
    if isinstance(value, tuple) and value:  # some writers store (num, den) pairs
        value = value[0] / value[1] if len(value) == 2 and value[1] else value[0]
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return round(number, 6) if math.isfinite(number) and number >= 0 else None


def _iso_date(value) -> str | None:
    text = clean_text(value, 32)
    if not text:
        return None
    try:
        return datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


def _iso_speed(value) -> int | None:
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**7:
        return value
    return None


def exif_subset(im: Image.Image) -> dict:
    """{"Make", "Model", "Software", "Orientation", "DateTimeOriginal" (ISO 8601),
    "ExposureTime", "FNumber", "FocalLength", "ISO", "LensModel"}, present ones only."""
    try:
        exif = im.getexif()
        if not exif:
            return {}
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        return _collect(exif, sub)
    except Exception:  # malformed EXIF: see the module docstring
        return {}


def _collect(exif, sub) -> dict:
    out: dict = {}
    for name, tag in _BASE_TEXT.items():
        if (text := clean_text(exif.get(tag))) is not None:
            out[name] = text
    orientation = exif.get(ExifTags.Base.Orientation)
    if isinstance(orientation, int) and 1 <= orientation <= 8:
        out["Orientation"] = orientation
    taken = _iso_date(sub.get(ExifTags.Base.DateTimeOriginal))
    if taken:
        out["DateTimeOriginal"] = taken
    for name, tag in _SUB_NUMBER.items():
        if (number := _number(sub.get(tag))) is not None:
            out[name] = number
    if (iso := _iso_speed(sub.get(ExifTags.Base.ISOSpeedRatings))) is not None:
        out["ISO"] = iso
    for name, tag in _SUB_TEXT.items():
        if (text := clean_text(sub.get(tag))) is not None:
            out[name] = text
    return out


def orientation(im: Image.Image) -> int:
    """The EXIF orientation (1-8), 1 when absent or unreadable."""
    try:
        value = im.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # malformed EXIF: treat as upright
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1
