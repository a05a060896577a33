"""What the image page shows, read defensively from stored JSON.

An image's ``image_metadata`` can be replaced by its owner (PATCH), and an
analytics row filed under the analysis topic can be written by anyone
through POST /analytics, so neither is trusted to have the shape
janus.imaging gives it: every value is type-checked here, bounded, and turned
into plain text or numbers (the template escapes the text, the charts
re-validate colours). Anything unexpected is left out, never an error.
"""
from __future__ import annotations

import dataclasses
import math
from datetime import datetime

from janus.web.console import charts

MAX_TEXT = 128
MAX_BINS = 4096
MAX_COLOURS = 64
# The EXIF subset janus.imaging.exif keeps, in reading order, with labels.
EXIF_LABELS = {"Make": "Camera make", "Model": "Camera model", "LensModel": "Lens",
               "DateTimeOriginal": "Taken", "ExposureTime": "Exposure time",
               "FNumber": "Aperture", "FocalLength": "Focal length", "ISO": "ISO speed",
               "Orientation": "Orientation", "Software": "Software"}
# WCAG 2.x contrast minimums: (level, normal text, large text).
WCAG_LEVELS = (("AA", 4.5, 3.0), ("AAA", 7.0, 4.5))


def _number(value) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and math.isfinite(value) else None


def _text(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    text = str(value).strip()
    return text[:MAX_TEXT] if text else None


def _exif_value(name: str, value) -> str | None:
    number = _number(value)
    if name == "ExposureTime" and number is not None and number > 0:
        return f"1/{round(1 / number)} s" if number < 1 else f"{charts.number(number)} s"
    if name == "FNumber" and number is not None:
        return f"f/{charts.number(number)}"
    if name == "FocalLength" and number is not None:
        return f"{charts.number(number)} mm"
    return _text(value)


def exif_rows(metadata) -> list[tuple[str, str]]:
    """(label, text) of the known EXIF tags present in ``metadata["exif"]``."""
    exif = metadata.get("exif") if isinstance(metadata, dict) else None
    if not isinstance(exif, dict):
        return []
    rows = []
    for name, label in EXIF_LABELS.items():
        value = _exif_value(name, exif.get(name))
        if value is not None:
            rows.append((label, value))
    return rows


def _yes_no(value) -> str | None:
    return {True: "yes", False: "no"}.get(value) if isinstance(value, bool) else None


def file_rows(metadata) -> list[tuple[str, str]]:
    """(label, text) of the file facts janus.imaging.inspect records."""
    if not isinstance(metadata, dict):
        return []
    dpi = metadata.get("dpi")
    rows = [
        ("Resolution", f"{charts.number(dpi[0])} × {charts.number(dpi[1])} dpi"
         if isinstance(dpi, list) and len(dpi) == 2 and all(_number(v) is not None for v in dpi)
         else None),
        ("Frames", _text(metadata.get("frames")) if _number(metadata.get("frames")) else None),
        ("Animated", _yes_no(metadata.get("animated"))),
        ("Alpha channel", _yes_no(metadata.get("has_alpha"))),
        ("Colour profile", _yes_no(metadata.get("icc_profile"))),
        ("Progressive JPEG", _yes_no(metadata.get("progressive"))),
        ("Stored bit depth", _text(metadata.get("stored_bit_depth"))
         if _number(metadata.get("stored_bit_depth")) else None),
    ]
    return [(label, value) for label, value in rows if value is not None]


@dataclasses.dataclass(frozen=True)
class Analysis:
    id: int
    created_at: datetime
    by: str | None  # the username of who ran it
    histogram: list[float] | None
    colours: list[dict]  # {"hex": str, "share": float}; hex re-checked by charts
    contrast_ratio: float | None
    has_transparency: bool | None
    brightness: float | None  # 0..1
    contrast: float | None  # RMS, 0..1

    def pair(self) -> tuple[str, str] | None:
        """The two most dominant colours, whose contrast ratio this is."""
        hexes = [charts.hex_colour(c["hex"]) for c in self.colours[:2]]
        return (hexes[0], hexes[1]) if len(hexes) == 2 and all(hexes) else None

    def verdicts(self) -> list[tuple[str, bool, bool]]:
        """(level, passes for normal text, passes for large text)."""
        ratio = self.contrast_ratio
        if ratio is None:
            return []
        return [(level, ratio >= normal, ratio >= large) for level, normal, large in WCAG_LEVELS]


def _histogram(value) -> list[float] | None:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_BINS:
        return None
    bins = [_number(v) for v in value]
    return bins if all(b is not None and b >= 0 for b in bins) else None


def _colours(value) -> list[dict]:
    if not isinstance(value, list):
        return []
    colours = []
    for item in value[:MAX_COLOURS]:
        share = _number(item.get("share")) if isinstance(item, dict) else None
        if share is not None and 0 <= share <= 1:
            colours.append({"hex": item.get("hex") if isinstance(item.get("hex"), str) else None,
                            "share": share})
    return colours


def _share(value) -> float | None:
    number = _number(value.get("normalised")) if isinstance(value, dict) else None
    return number if number is not None and 0 <= number <= 1 else None


def read_analysis(row, username: str | None) -> Analysis:
    """The analytics row of an analysis as an Analysis; unreadable parts are None/empty."""
    data = row.data if isinstance(row.data, dict) else {}
    ratio = _number(data.get("contrast_ratio"))
    transparency = data.get("has_transparency")
    return Analysis(id=row.id, created_at=row.created_at, by=username,
                    histogram=_histogram(data.get("histogram")),
                    colours=_colours(data.get("dominant_colors")),
                    contrast_ratio=ratio if ratio is not None and 1 <= ratio <= 21 else None,
                    has_transparency=transparency if isinstance(transparency, bool) else None,
                    brightness=_share(data.get("brightness")),
                    contrast=_share(data.get("contrast")))
