"""Bringing any Pillow mode to 8-bit RGB or RGBA for display and analysis.

Pillow's own convert() is wrong for our purposes in two places: 16/32-bit
greyscale is clipped at 255 (a 16-bit mid-grey turns white), and a palette's
transparency is dropped unless RGBA is asked for explicitly.
"""
from __future__ import annotations

from PIL import Image

_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def _wide_grey_to_l(im: Image.Image) -> Image.Image:
    """I;16* (nominal 0..65535) scaled by 1/256; I and F stretched to 0..255."""
    if im.mode.startswith("I;16"):
        scale, offset = 1 / 256, 0.0
    else:
        lo, hi = im.getextrema()
        scale = 255 / (hi - lo) if hi > lo else 0.0
        offset = -lo * scale if hi > lo else (0.0 if hi <= 0 else 255.0)
    wide = im if im.mode == "F" else im.convert("I")
    # A linear lambda is evaluated once per coefficient, not per pixel.
    return wide.point(lambda v: v * scale + offset).convert("L")


def to_display(im: Image.Image) -> Image.Image:
    """``im`` as "RGB", or "RGBA" when it can be transparent.

    Returns ``im`` itself when it already is RGB/RGBA (no 12 MP copy).
    """
    if im.mode in ("I", "F") or im.mode.startswith("I;16"):
        return _wide_grey_to_l(im).convert("RGB")
    if im.mode == "RGBA" or (im.mode == "RGB" and "transparency" not in im.info):
        return im
    if im.mode in _ALPHA_MODES or im.has_transparency_data:
        return im.convert("RGBA")
    return im.convert("RGB")  # 1, L, P, CMYK, YCbCr, LAB, HSV, RGBX


def has_alpha_band(im: Image.Image) -> bool:
    return im.mode in _ALPHA_MODES
