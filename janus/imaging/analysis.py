"""Pixel statistics of an image: histogram, brightness, contrast, dominant
colours, WCAG contrast, transparency and a perceptual hash.

Everything is computed on a REDUCED copy, at most MAX_SIDE pixels on its
longest side (JPEGs are decoded straight at 1/2..1/8 scale with draft()).
These numbers describe distributions, which a 256 px area-averaged copy
keeps to within rounding, while working on 12 MP would cost ~100x the time
and memory for the same answer. Only the transparency test looks at every
pixel, as one lost transparent pixel would flip it.

Luminance is Pillow's "L": ITU-R BT.601 luma, L = (299 R + 587 G + 114 B) / 1000.
Pixels with alpha 0 are left out of the histogram, brightness, contrast and
colours; the rest are composited over white first (as a page would show them).
"""
from __future__ import annotations

from PIL import Image, ImageStat

from janus.errors import ValidationError
from janus.imaging.decode import DEFAULT_MAX_PIXELS, Source, decode_errors, open_image
from janus.imaging.exif import orientation
from janus.imaging.gate import full_decode
from janus.imaging.modes import to_display
from janus.imaging.phash import hamming, int_to_phash, phash, phash_to_int

__all__ = ["ANALYSIS_VERSION", "analyse", "contrast_ratio", "relative_luminance", "phash",
           "phash_to_int", "int_to_phash", "hamming"]

# Bump when any number below could change for the same bytes.
ANALYSIS_VERSION = 1
MAX_SIDE = 256
MAX_K = 16
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


def relative_luminance(rgb) -> float:
    """WCAG 2.x relative luminance of an 8-bit sRGB colour (0 black .. 1 white)."""
    def linear(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a, b) -> float:
    """WCAG contrast ratio, 1.0 (same colour) to 21.0 (black on white), 2 decimals."""
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return round((hi + 0.05) / (lo + 0.05), 2)


def _shrink(im: Image.Image) -> Image.Image:
    w, h = im.size
    scale = MAX_SIDE / max(w, h)
    if scale >= 1:
        return im
    # BOX = the plain average of the source pixels each output pixel covers.
    return im.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX)


def _flatten(im: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """(RGB over white, mask of pixels with alpha > 0, or None for "all")."""
    if im.mode != "RGBA":
        return im, None
    alpha = im.getchannel("A")
    white = Image.new("RGBA", im.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(white, im).convert("RGB")
    mask = alpha.point(lambda a: 255 if a else 0)
    # Nothing visible at all: describe the colour data rather than nothing.
    return rgb, (mask if mask.getbbox() else None)


def _dominant(rgb: Image.Image, mask, k: int) -> tuple[list[dict], int]:
    pixels = rgb.size[0] * rgb.size[1]
    # kmeans=n: refine the median-cut palette until at most n-1 pixels change
    # cluster in a pass; 0.1 % of the pixels is converged for our rounding.
    kmeans = 1 + pixels // 1000
    quantized = rgb.quantize(colors=k, method=Image.Quantize.MEDIANCUT, kmeans=kmeans)
    counts = quantized.histogram(mask)
    palette = quantized.getpalette() or []
    merged: dict[tuple, int] = {}
    for index in range(min(k, len(palette) // 3)):
        if counts[index]:
            colour = tuple(palette[3 * index:3 * index + 3])
            merged[colour] = merged.get(colour, 0) + counts[index]
    total = sum(merged.values()) or 1
    ranked = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
    return [{"rgb": list(c), "hex": "#{:02x}{:02x}{:02x}".format(*c), "share": round(n / total, 4)}
            for c, n in ranked], kmeans


def analyse(source: Source | Image.Image, k: int = 5,
            max_pixels: int = DEFAULT_MAX_PIXELS) -> dict:
    """Analysis of image bytes, a path, or an already opened PIL image."""
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise ValidationError.at("$.k", f"must be an integer from 1 to {MAX_K}")
    if isinstance(source, Image.Image):
        with decode_errors():  # a lazily opened file may still be truncated
            source.load()
        return _analyse(source, list(source.size), k)
    with open_image(source, max_pixels) as im, full_decode():
        source_size = list(im.size)
        with decode_errors():
            im.draft(None, (MAX_SIDE, MAX_SIDE))  # JPEG: decode at 1/2..1/8 scale
            im.load()
        # Pixels are in memory now: errors past here are bugs, not bad input.
        return _analyse(im, source_size, k)


def _prepare(im: Image.Image) -> tuple[Image.Image, Image.Image | None, bool]:
    """(reduced upright RGB, visibility mask, has transparency) of a loaded image."""
    turn = _TRANSPOSE.get(orientation(im))
    display = to_display(im)
    transparent = display.mode == "RGBA" and display.getchannel("A").getextrema()[0] < 255
    small = _shrink(display)
    if turn is not None:
        small = small.transpose(turn)  # upright, so hashes match a rotated copy
    rgb, mask = _flatten(small)
    return rgb, mask, transparent


def fingerprint(source: Source, max_pixels: int = DEFAULT_MAX_PIXELS) -> str:
    """Just the perceptual hash, computed exactly as ``analyse`` does."""
    with open_image(source, max_pixels) as im, full_decode():
        with decode_errors():
            im.draft(None, (MAX_SIDE, MAX_SIDE))
            im.load()
        return fingerprint_image(im)


def fingerprint_image(im: Image.Image) -> str:
    """The perceptual hash of an image already loaded (inspect_image uses
    this, so an upload decodes its pixels once)."""
    return phash(_prepare(im)[0])


def _analyse(im: Image.Image, source_size: list, k: int) -> dict:
    rgb, mask, transparent = _prepare(im)
    luma = rgb.convert("L")
    counts = luma.histogram(mask)
    total = sum(counts)
    stat = ImageStat.Stat(luma, mask)
    mean, rms = stat.mean[0], stat.stddev[0]
    colours, kmeans = _dominant(rgb, mask, k)
    ratio = contrast_ratio(colours[0]["rgb"], colours[1]["rgb"]) if len(colours) > 1 else 1.0
    return {
        "version": ANALYSIS_VERSION,
        "parameters": {"k": k, "max_side": MAX_SIDE, "resample": "box", "kmeans": kmeans,
                       "luma": "BT.601", "histogram": "fraction of visible pixels",
                       "phash": "dct32-low8x8-median63"},
        "source_size": source_size,
        "analysed_size": list(rgb.size),
        "histogram": [round(c / total, 6) for c in counts],
        "brightness": {"mean": round(mean, 3), "normalised": round(mean / 255, 4)},
        "contrast": {"rms": round(rms, 3), "normalised": round(rms / 255, 4)},
        "dominant_colors": colours,
        "contrast_ratio": ratio,
        "has_transparency": transparent,
        "phash": phash(rgb),
    }
